/* Shared between the model codec files (model_*.c) and the rule grammar;
 * not part of the public model interface. */
#ifndef CALICO_MODEL_INTERNAL_H
#define CALICO_MODEL_INTERNAL_H

#include <jansson.h>

#include "model/model.h"

/* One rule object <-> struct rule (the rules object embeds them). */
int rule_from_json(const json_t *obj, struct rule *r, char *err, size_t errlen);
json_t *rule_to_json(const struct rule *r);

/* "80" or "80:90" (decimal, no sign, no leading zeros). -ERANGE for a port
 * above 65535, -EDOM for a range whose first port is above its last, -EINVAL
 * for anything else. "80:80" is the single port 80. */
int port_word_parse(const char *s, struct port_range *out);
/* Writes "80" or "80:90" into buf (at least 12 bytes). */
char *port_range_format(const struct port_range *p, char *buf, size_t len);

/* Puts a valid rule in canonical form: named protocols for 1/6/17/58,
 * ip_version only when nothing else implies it. */
void rule_normalise(struct rule *r);

#endif
