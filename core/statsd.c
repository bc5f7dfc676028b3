/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The stats service: with XKPI_STATS_SOCKET set, a running process answers
 * every connection to that Unix socket with its counters and its sockets
 * in text, one per line, and closes it; `xkpi-stat` prints them.
 *
 *	xkpi VERSION pid PID	(first: whose answer this is)
 *	stat NAME VALUE
 *	pcb DOMAIN TYPE PROTOCOL LOCAL PEER RCV_CC/RCV_HIWAT SND_CC/SND_HIWAT
 *	    STATE
 *	fw NUM PACKETS BYTES RULE	(the rule table, the default rule last)
 *
 * The answer is built on the loop thread through the public xkpi_stats(),
 * xkpi_pcblist() and xkpi_fw_list() (which copy under the core lock and
 * report without it) and written as the socket takes it, so a slow reader
 * never holds up the loop; with send(MSG_NOSIGNAL), so a reader that goes
 * away early (xkpi-stat interrupted) costs the process no SIGPIPE.
 *
 * A path another running process answers on is refused (EADDRINUSE),
 * and so is a path that is not a socket (EEXIST); a socket file nobody
 * answers on is what a process that died left, and is replaced.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xkpi.h>
#include <xkpi_fw.h>

#include "core/socket_var.h"

static struct evconnlistener *statsd_lev;
static GList *statsd_conns;		/* answers still being written */

/* One answer being written. */
struct statsd_conn {
	int		 sc_fd;
	struct event	*sc_ev;
	GString		*sc_text;
	size_t		 sc_off;		/* written so far */
};
static char statsd_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void
statsd_stat(const char *name, uint64_t value, void *ctx)
{
	g_string_append_printf(ctx, "stat %s %" G_GUINT64_FORMAT "\n", name,
	    (guint64)value);
}

/* "ADDR:PORT", "[ADDR6]:PORT" or "-" for an address of @ss. */
static void
statsd_addr(GString *s, const struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		g_string_append_printf(s, " %s:%u", buf,
		    ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		g_string_append_printf(s, " [%s]:%u", buf,
		    ntohs(sin6->sin6_port));
	} else {
		g_string_append(s, " -");
	}
}

static void
statsd_pcb(const struct xkpi_pcb *p, void *ctx)
{
	GString *s = ctx;

	g_string_append_printf(s, "pcb %s %s %d",
	    p->xp_domain == PF_INET ? "inet" :
	    p->xp_domain == PF_INET6 ? "inet6" : "local",
	    p->xp_type == SOCK_STREAM ? "stream" :
	    p->xp_type == SOCK_DGRAM ? "dgram" : "raw", p->xp_protocol);
	statsd_addr(s, &p->xp_laddr);
	statsd_addr(s, &p->xp_faddr);
	g_string_append_printf(s, " %u/%u %u/%u 0x%x\n", p->xp_rcv_cc,
	    p->xp_rcv_hiwat, p->xp_snd_cc, p->xp_snd_hiwat, p->xp_state);
}

static void
statsd_fw(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	g_string_append_printf(ctx, "fw %u %" G_GUINT64_FORMAT " %"
	    G_GUINT64_FORMAT " %s\n", num, (guint64)packets, (guint64)bytes,
	    text);
}

static void
statsd_conn_free(struct statsd_conn *c)
{
	if (c->sc_ev != NULL) {
		event_free(c->sc_ev);
	}
	close(c->sc_fd);
	g_string_free(c->sc_text, TRUE);
	g_free(c);
}

/*
 * Writes what the socket takes: true when the answer is all written or
 * the reader went away (done with @c), false while more is to come.
 */
static bool
statsd_push(struct statsd_conn *c)
{
	ssize_t n;

	while (c->sc_off < c->sc_text->len) {
		n = send(c->sc_fd, c->sc_text->str + c->sc_off,
		    c->sc_text->len - c->sc_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return errno != EAGAIN && errno != EWOULDBLOCK;
		}
		c->sc_off += (size_t)n;
	}
	return true;
}

static void
statsd_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct statsd_conn *c = arg;

	(void)fd;
	(void)what;
	if (statsd_push(c)) {
		statsd_conns = g_list_remove(statsd_conns, c);
		statsd_conn_free(c);
	}
}

static void
statsd_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct statsd_conn *c;
	GString *s;
	bool was;

	(void)sa;
	(void)salen;
	(void)arg;
	was = xk_loop_enter();
	s = g_string_new(NULL);
	g_string_append_printf(s, "xkpi %s pid %ld\n", PACKAGE_VERSION,
	    (long)getpid());
	(void)xkpi_stats(statsd_stat, s);
	(void)xkpi_pcblist(statsd_pcb, s);
	(void)xkpi_fw_list(statsd_fw, s);
	xk_loop_leave(was);
	if ((c = g_try_new0(struct statsd_conn, 1)) == NULL) {
		g_string_free(s, TRUE);
		close(fd);
		return;
	}
	c->sc_fd = fd;
	c->sc_text = s;
	if (statsd_push(c)) {
		statsd_conn_free(c);
		return;
	}
	/* A slow reader: the rest when the socket takes it. */
	c->sc_ev = event_new(evconnlistener_get_base(lev), fd,
	    EV_WRITE | EV_PERSIST, statsd_write_cb, c);
	if (c->sc_ev == NULL || event_add(c->sc_ev, NULL) != 0) {
		statsd_conn_free(c);
		return;
	}
	statsd_conns = g_list_prepend(statsd_conns, c);
}

/*
 * Whether @path may be ours: nothing there, or a socket file nobody
 * answers on (left by a process that died), which goes.  A live process
 * answering there keeps it (EADDRINUSE), and a file that is not a socket
 * is not ours to remove (EEXIST); both are logged.
 */
static int
statsd_claim(const char *path, const struct sockaddr_un *sun)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct stat st;
	int fd, error;

	if (lstat(path, &st) != 0) {
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		xk_log(XKPI_LOG_ERROR, "XKPI_STATS_SOCKET=%s: not a socket; "
		    "not removing it (choose another path)", path);
		return EEXIST;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		return errno;
	}
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			cred.pid = 0;
		}
		close(fd);
		xk_log(XKPI_LOG_ERROR, "XKPI_STATS_SOCKET=%s: process %ld "
		    "answers there already (choose another path)", path,
		    (long)cred.pid);
		return EADDRINUSE;
	}
	error = errno;
	close(fd);
	if (error != ECONNREFUSED) {
		xk_log(XKPI_LOG_ERROR, "XKPI_STATS_SOCKET=%s: %s", path,
		    strerror(error));
		return error;
	}
	/* A socket file nobody answers on: left by a run that died. */
	(void)unlink(path);
	return 0;
}

int
xk_statsd_start(struct event_base *base)
{
	const char *path = getenv("XKPI_STATS_SOCKET");
	struct sockaddr_un sun;
	int error;

	if (path == NULL || *path == '\0') {
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		xk_log(XKPI_LOG_ERROR, "XKPI_STATS_SOCKET: path too long");
		return EINVAL;
	}
	strcpy(sun.sun_path, path);
	if ((error = statsd_claim(path, &sun)) != 0) {
		return error;
	}
	statsd_lev = evconnlistener_new_bind(base, statsd_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (statsd_lev == NULL) {
		error = errno != 0 ? errno : ENOMEM;

		xk_log(XKPI_LOG_ERROR, "XKPI_STATS_SOCKET=%s: %s", path,
		    strerror(error));
		return error;
	}
	strcpy(statsd_path, path);
	return 0;
}

void
xk_statsd_stop(void)
{
	if (statsd_lev == NULL) {
		return;
	}
	evconnlistener_free(statsd_lev);
	statsd_lev = NULL;
	g_list_free_full(statsd_conns, (GDestroyNotify)statsd_conn_free);
	statsd_conns = NULL;
	(void)unlink(statsd_path);
	statsd_path[0] = '\0';
}
