/* A selector's short name, for the nftables set of its members: "s-" and the
 * first 130 bits of the SHA-256 of its normalised text in base32 (a-z, 2-7:
 * letters nft accepts in a set name, and no case to get wrong). */
#include <string.h>

#include "selector/selector_ast.h"
#include "util/sha256.h"

void sel_make_id(struct selector *sel)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t digest[32];
	char *o = sel->id;

	sha256(sel->text, strlen(sel->text), digest);
	*o++ = 's';
	*o++ = '-';
	/* 26 characters of 5 bits: 130 bits, the last 2 of them from byte 16 */
	for (int i = 0; i < 26; i++) {
		int bit = 5 * i, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)digest[byte] << 8 | digest[byte + 1];
		*o++ = alphabet[(v >> (11 - shift)) & 31];
	}
	*o = '\0';
}

const char *selector_id(const struct selector *sel)
{
	return sel->id;
}
