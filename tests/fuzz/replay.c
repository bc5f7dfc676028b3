/*
 * xkpi: replays fuzz inputs through a harness without libFuzzer, so that
 * `make check` (and its ASan, TSan and valgrind runs) keeps every seed
 * and every regression input passing, with the project's own compiler.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * usage: replay_NAME PATH...   (files, or directories of files)
 *
 * Linked with one harness's object: calls its LLVMFuzzerInitialize once,
 * then LLVMFuzzerTestOneInput once per input, and prints TAP, one line
 * per input.  A harness reports a failed check by aborting, so a failing
 * input ends the program with a signal after naming it on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness without an initializer links this one instead. */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static unsigned int n_run;

static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL) {
			fclose(f);
		}
		return 1;
	}
	len = (size_t)st.st_size;
	/* One byte more, so that an empty input still has a buffer. */
	if ((buf = malloc(len + 1)) == NULL ||
	    fread(buf, 1, len, f) != len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %u - %s\n", ++n_run, path);
	fflush(stdout);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, in name order, so that runs repeat. */
static int
replay_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	int failed = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL) {
				closedir(d);
				return 1;
			}
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), name_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		failed |= replay_file(path);
		free(names[i]);
	}
	free(names);
	return failed;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			failed |= replay_dir(argv[i]);
		} else {
			failed |= replay_file(argv[i]);
		}
	}
	printf("1..%u\n", n_run);
	return failed;
}
