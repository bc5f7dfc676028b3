/*
 * xkpi-stat: prints the counters, sockets and rule table of a running xkpi
 * process.
 *
 *   xkpi-stat [-a] [-s] [-p] [-f] SOCKET
 *
 * SOCKET is the path the process was started with in XKPI_STATS_SOCKET.
 * By default counters that are zero are left out (-a shows them all).  -s
 * prints the counters, -p the sockets, -f the rule table (<xkpi_fw.h>) as
 * `ipfw show` does: number, packets, bytes, rule; with none of them, all
 * three are printed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: xkpi-stat [-a] [-s] [-p] [-f] SOCKET\n"
	    "  SOCKET  the XKPI_STATS_SOCKET path of a running process\n"
	    "  -a      show counters that are zero too\n"
	    "  -s      counters\n"
	    "  -p      sockets\n"
	    "  -f      the rule table, as ipfw show prints it\n"
	    "  (none of -s, -p, -f: all three)\n");
	exit(2);
}

/* Prints one line of the answer the way the flags ask. */
static void
print_line(char *line, bool all, bool stats, bool pcbs, bool fw)
{
	unsigned long long v, packets, bytes;
	char name[256];
	unsigned int num;
	int off = 0;

	if (strncmp(line, "stat ", 5) == 0) {
		if (!stats || sscanf(line + 5, "%255s %llu", name, &v) != 2 ||
		    (v == 0 && !all)) {
			return;
		}
		printf("  %-32s %llu\n", name, v);
	} else if (strncmp(line, "pcb ", 4) == 0) {
		if (pcbs) {
			printf("  %s\n", line + 4);
		}
	} else if (strncmp(line, "fw ", 3) == 0) {
		if (fw && sscanf(line + 3, "%u %llu %llu %n", &num, &packets,
		    &bytes, &off) == 3 && off > 0) {
			printf("%05u %10llu %12llu %s\n", num, packets, bytes,
			    line + 3 + off);
		}
	}
}

int
main(int argc, char **argv)
{
	bool all = false, stats = false, pcbs = false, fw = false;
	bool header = false, fwheader = false;
	struct sockaddr_un sun;
	char buf[65536], *line;
	size_t have = 0;
	ssize_t n;
	int c, fd;

	while ((c = getopt(argc, argv, "aspf")) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 's':
			stats = true;
			break;
		case 'p':
			pcbs = true;
			break;
		case 'f':
			fw = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1) {
		usage();
	}
	if (!stats && !pcbs && !fw) {
		stats = pcbs = fw = true;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[optind]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "xkpi-stat: %s: path too long\n", argv[optind]);
		return 1;
	}
	strcpy(sun.sun_path, argv[optind]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "xkpi-stat: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	/* The process answers and closes: read lines until end of file. */
	for (;;) {
		char *nl;

		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (!header && strncmp(line, "pcb ", 4) == 0 && pcbs) {
				printf("sockets (domain type protocol local "
				    "peer rcv snd state):\n");
				header = true;
			}
			if (!fwheader && strncmp(line, "fw ", 3) == 0 && fw) {
				printf("rules (number packets bytes rule):\n");
				fwheader = true;
			}
			print_line(line, all, stats, pcbs, fw);
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) {
			have = 0;	/* an absurd line: drop it */
		}
	}
	if (n < 0) {
		fprintf(stderr, "xkpi-stat: read: %s\n", strerror(errno));
	}
	close(fd);
	return n < 0 ? 1 : 0;
}
