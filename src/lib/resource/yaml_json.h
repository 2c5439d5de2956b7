/* YAML in and out, through libyaml, as JSON trees (jansson): the v3 resource
 * codec (resource.h) decodes one tree whatever the file was written in, and
 * `calicoctl get -o yaml` prints one.
 *
 * Reading resolves plain (unquoted) scalars the way the JSON they stand for
 * would read: decimal integers and floats become numbers, true/false (any
 * case) booleans, null, ~ and nothing null; everything else stays a string,
 * exactly as written. So `ports: [1000:2000]` keeps the range "1000:2000"
 * (YAML 1.1 would read the base-60 number 62000) and `version: v1.10` stays
 * a string. A quoted scalar is always a string. Duplicate mapping keys are
 * refused, as a JSON object cannot hold them; anchors and aliases work.
 *
 * Writing quotes every string that a YAML 1.1 or 1.2 reader could take for
 * something else ("443", "yes", "1000:2000", "null", ""), so what we print
 * reads back as the same tree here and in Calico's own calicoctl. */
#ifndef CALICO_YAML_JSON_H
#define CALICO_YAML_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Every document of text (split by ---) as a JSON array of trees, in order;
 * an empty document (only comments) is left out. NULL on failure with a
 * one-line message naming the line and column: "line 4 column 3: mapping
 * values are not allowed in this context". */
json_t *yaml_to_json_docs(const char *text, size_t len, char *err, size_t errlen);

/* One tree as a YAML document (block style, keys in the tree's order), with
 * "---" first when with_start. NULL on ENOMEM. The caller frees it. */
char *json_to_yaml(const json_t *v, int with_start);

#endif
