/* BIRD's control-socket replies, line by line (what calicoctl status and the
 * agent read from bird.ctl), then `show protocols all` parsing. */
#include "bgp/bird_ctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), buf[512];
	struct bird_reply r = { 0 };
	struct bird_proto *protos = NULL;
	size_t n = 0;
	int rc = 0;

	for (char *line = text, *next; line && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = bird_reply_feed(&r, line);
	}
	bird_reply_text(&r, buf, sizeof(buf));
	FUZZ_ASSERT(strlen(buf) < sizeof(buf));
	if (bird_protocols_parse(&r, &protos, &n) == 0)
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(strlen(protos[i].name) < sizeof(protos[i].name));
	free(protos);
	bird_reply_free(&r);
	free(text);
	return 0;
}
