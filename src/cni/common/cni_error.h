/* CNI errors: the spec's codes and the error object every command prints on
 * stdout (with exit status 1) when it fails. */
#ifndef CALICO_CNI_ERROR_H
#define CALICO_CNI_ERROR_H

#include <stddef.h>

/* The spec's well-known codes (SPEC.md, "Error"). */
#define CNI_ERR_INCOMPATIBLE_VERSION 1
#define CNI_ERR_UNSUPPORTED_FIELD    2
#define CNI_ERR_UNKNOWN_CONTAINER    3
#define CNI_ERR_INVALID_ENV          4
#define CNI_ERR_IO                   5
#define CNI_ERR_DECODE               6
#define CNI_ERR_INVALID_CONFIG       7
#define CNI_ERR_TRY_AGAIN            11
#define CNI_ERR_NOT_AVAILABLE        50 /* STATUS: cannot serve ADD */
#define CNI_ERR_NOT_AVAILABLE_LIMITED 51 /* STATUS: ... and existing containers may be affected */
/* Ours (the spec leaves 100 and up to plugins). */
#define CNI_ERR_CHECK_FAILED         100 /* CHECK found the attachment not as ADD made it */
#define CNI_ERR_INTERNAL             999 /* anything else (same number as the Go plugins use) */

#define CNI_MSG_MAX 512

struct cni_error {
	int code;                   /* 0: no error recorded */
	char msg[CNI_MSG_MAX];      /* one line */
	char details[CNI_MSG_MAX];  /* one line, may be empty */
};

/* Records code and a one-line message; returns -EINVAL so that callers can
 * `return cni_err(e, ...)`. The code, not the errno, is what the caller reports. */
int cni_err(struct cni_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cni_err_details(struct cni_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* {"cniVersion":version,"code":N,"msg":"...","details":"..."} (malloc'd; NULL on ENOMEM). */
char *cni_error_encode(const struct cni_error *e, const char *version);

#endif
