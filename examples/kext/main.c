/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The loader of echokext: what kextload and the kernel did for it, as a
 * porter writes it once.  It sets the kext's port, calls its start
 * routine, lets it run until SIGTERM or SIGINT (or a number of seconds),
 * calls its stop routine, and shuts the library down.
 *
 *	echokext [PORT [SECONDS]]
 */
#include <mach/mach_types.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xkpi.h>

/* The kext's own symbols, as its project's header would declare them. */
extern int echokext_port;
kern_return_t echokext_start(kmod_info_t *ki, void *data);
kern_return_t echokext_stop(kmod_info_t *ki, void *data);

static volatile sig_atomic_t done;

static void
on_signal(int sig)
{
	(void)sig;
	done = 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	int seconds = 3600;

	if (argc > 1) {
		echokext_port = atoi(argv[1]);
	}
	if (argc > 2) {
		seconds = atoi(argv[2]);
	}
	/* Lines go out as they are written: a test reads them as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (echokext_start(NULL, NULL) != KERN_SUCCESS) {
		return (1);
	}
	printf("ready\n");
	for (long i = 0; i < (long)seconds * 10 && !done; i++) {
		usleep(100000);
	}
	echokext_stop(NULL, NULL);
	xkpi_shutdown();
	return (0);
}
