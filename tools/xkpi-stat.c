/*
 * xkpi-stat: prints the counters, sockets and rule table of a running xkpi
 * process.
 *
 *   xkpi-stat [-a] [-s] [-p] [-f] SOCKET
 *   xkpi-stat -h | --help
 *
 * SOCKET is the path the process was started with in XKPI_STATS_SOCKET.
 * By default counters that are zero are left out (-a shows them all).  -s
 * prints the counters, -p the sockets (their state in words, as the
 * SS_* bits of XNU's so_state), -f the rule table (<xkpi_fw.h>) as `ipfw
 * show` does: number, packets, bytes, rule; with none of them, all three
 * are printed.
 *
 * A path nothing answers on, or that something other than an xkpi
 * process answers on, is said to be so in words (exit status 1).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_WAIT_S	5	/* a process answers at once; not forever */

static void
usage(FILE *f, int status)
{
	fprintf(f, "usage: xkpi-stat [-a] [-s] [-p] [-f] SOCKET\n"
	    "       xkpi-stat -h | --help\n"
	    "Prints the counters, sockets and rule table of a running xkpi "
	    "process.\n"
	    "  SOCKET  the XKPI_STATS_SOCKET path of a running process\n"
	    "  -a      show counters that are zero too\n"
	    "  -s      counters\n"
	    "  -p      sockets (domain type protocol local peer rcv snd "
	    "state)\n"
	    "  -f      the rule table, as ipfw show prints it\n"
	    "  (none of -s, -p, -f: all three)\n"
	    "  -h, --help  this text\n");
	exit(status);
}

/* XNU's so_state bits (sys/socketvar.h), in words. */
static const struct {
	unsigned int	 bit;
	const char	*word;
} ss_words[] = {
	{ 0x0001, "nofdref" },
	{ 0x0002, "connected" },
	{ 0x0004, "connecting" },
	{ 0x0008, "disconnecting" },
	{ 0x0010, "cantsendmore" },
	{ 0x0020, "cantrcvmore" },
	{ 0x0040, "rcvatmark" },
	{ 0x0080, "priv" },
	{ 0x0100, "nbio" },
	{ 0x0200, "async" },
	{ 0x0400, "confirming" },
	{ 0x0800, "incomplete" },
	{ 0x1000, "complete" },
	{ 0x2000, "disconnected" },
};

/* "connected,nbio" for state @v ("-" for none); unknown bits in hex. */
static void
state_words(unsigned int v, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(ss_words) / sizeof(ss_words[0]); i++) {
		if ((v & ss_words[i].bit) != 0 && len < size) {
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    len > 0 ? "," : "", ss_words[i].word);
			v &= ~ss_words[i].bit;
		}
	}
	if (v != 0 && len < size) {
		len += (size_t)snprintf(buf + len, size - len, "%s0x%x",
		    len > 0 ? "," : "", v);
	}
	if (len == 0) {
		snprintf(buf, size, "-");
	}
}

/*
 * Why nothing answers on @path (connect failed with @error), in words a
 * user can act on.
 */
static void
explain(const char *path, int error)
{
	struct stat st;

	if (error == ENOENT) {
		fprintf(stderr, "xkpi-stat: %s: no such file: no running "
		    "process was started with XKPI_STATS_SOCKET=%s\n", path,
		    path);
	} else if (error == ECONNREFUSED && lstat(path, &st) == 0 &&
	    !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "xkpi-stat: %s: not a socket (give the "
		    "XKPI_STATS_SOCKET path of a running process)\n", path);
	} else if (error == ECONNREFUSED) {
		fprintf(stderr, "xkpi-stat: %s: nothing answers there: the "
		    "process that made it has exited (a stale socket file; "
		    "the next process started with it replaces it)\n", path);
	} else if (error == EACCES) {
		fprintf(stderr, "xkpi-stat: %s: permission denied (run as "
		    "the process's user, or as root)\n", path);
	} else {
		fprintf(stderr, "xkpi-stat: %s: %s\n", path, strerror(error));
	}
}

/* Prints one line of the answer the way the flags ask. */
static void
print_line(char *line, bool all, bool stats, bool pcbs, bool fw)
{
	unsigned long long v, packets, bytes;
	char name[256], words[160];
	unsigned int num, state;
	int off = 0;
	char *sp;

	if (strncmp(line, "stat ", 5) == 0) {
		if (!stats || sscanf(line + 5, "%255s %llu", name, &v) != 2 ||
		    (v == 0 && !all)) {
			return;
		}
		printf("  %-32s %llu\n", name, v);
	} else if (strncmp(line, "pcb ", 4) == 0) {
		if (!pcbs) {
			return;
		}
		/* The last field is the state, in hex. */
		if ((sp = strrchr(line, ' ')) != NULL &&
		    sscanf(sp + 1, "0x%x", &state) == 1) {
			*sp = '\0';
			state_words(state, words, sizeof(words));
			printf("  %s %s\n", line + 4, words);
		} else {
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
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool all = false, stats = false, pcbs = false, fw = false;
	bool header = false, fwheader = false, first = true;
	struct timeval tv = { ANSWER_WAIT_S, 0 };
	struct sockaddr_un sun;
	char buf[65536], *line;
	size_t have = 0;
	ssize_t n;
	int c, fd;

	while ((c = getopt_long(argc, argv, "aspfh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout, 0);
			break;
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
			usage(stderr, 2);
		}
	}
	if (optind != argc - 1) {
		usage(stderr, 2);
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
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "xkpi-stat: socket: %s\n", strerror(errno));
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		explain(argv[optind], errno);
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
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
			/* An xkpi process answers "xkpi VERSION pid PID" first. */
			if (first && strncmp(line, "xkpi ", 5) != 0) {
				fprintf(stderr, "xkpi-stat: %s: what answers there "
				    "is not an xkpi process (its first line: "
				    "\"%.40s\")\n", argv[optind], line);
				close(fd);
				return 1;
			}
			first = false;
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
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "xkpi-stat: %s: no answer within %d s: not an "
		    "xkpi process's stats socket?\n", argv[optind],
		    ANSWER_WAIT_S);
	} else if (n < 0) {
		fprintf(stderr, "xkpi-stat: read: %s\n", strerror(errno));
	} else if (first) {
		fprintf(stderr, "xkpi-stat: %s: the socket closed without an "
		    "answer: not an xkpi process's stats socket?\n",
		    argv[optind]);
		n = -1;
	}
	close(fd);
	return n < 0 ? 1 : 0;
}
