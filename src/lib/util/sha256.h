/* SHA-256 (FIPS 180-4) of a buffer in one call: the selector's id needs a hash
 * that nobody can steer two selectors into sharing. */
#ifndef CALICO_UTIL_SHA256_H
#define CALICO_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
