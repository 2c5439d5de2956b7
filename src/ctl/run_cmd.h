/* Running a program with an argument vector (fork + execvp, never a shell),
 * its output going to a file. */
#ifndef CALICO_CTL_RUN_CMD_H
#define CALICO_CTL_RUN_CMD_H

/* Runs argv[0] (found on PATH) with stdin from /dev/null and stdout+stderr
 * appended to out_path (NULL: /dev/null). Returns the exit status (0..255),
 * 127 when it could not run, or -errno. */
int run_cmd(const char *const argv[], const char *out_path);

#endif
