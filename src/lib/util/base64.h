/* Standard base64 (RFC 4648, with padding): etcd's JSON gateway carries keys
 * and values this way. */
#ifndef CALICO_BASE64_H
#define CALICO_BASE64_H

#include <stddef.h>

/* Returns a malloc'd NUL-terminated encoding of len bytes, or NULL on ENOMEM. */
char *b64_encode(const void *data, size_t len);
/* Decodes in; *out gets a malloc'd buffer with a NUL after the *outlen bytes
 * (so text values can be used as C strings). 0, -EINVAL (bad input) or -ENOMEM. */
int b64_decode(const char *in, char **out, size_t *outlen);

#endif
