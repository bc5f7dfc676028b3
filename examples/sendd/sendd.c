/*
 * xkpi example: sendd, a Secure Neighbor Discovery (RFC 3971) daemon
 * written the way a BSD daemon is: one SeND socket (send(4)) whose read
 * upcall takes every Neighbor Discovery message the host sends or
 * receives, signs or verifies it, and writes it back.  OpenSSL's libcrypto
 * does the cryptography.  Uses the public headers only.
 *
 *	sendd cga -k key.pem -p prefix [-s sec] [-m modifier] [-c count]
 *	sendd cga -P params.der -s sec
 *	sendd verify address params.der sec
 *	sendd run -i ifname -k key.pem [-s sec] [-m modifier] [-b bits]
 *	    [-t seconds] [-v] [--secure-only]
 *
 * cga prints a Cryptographically Generated Address (RFC 3972) on its
 * first line and its CGA Parameters, in hex, on the second: of an RSA key
 * (PEM, private or public) and a /64 prefix, with a modifier searched
 * for Sec (-s, 0 to 7, default 1; each step costs 65536 times more: Sec
 * 2 takes hours) or given (-m, 32 hex digits: used as it is, and refused
 * when it does not satisfy Sec), and collision count -c (0 to 2); or of
 * given parameters (-P, DER, as in a CGA option: binary, or the hex the
 * second line shows) with Sec.
 *
 * verify exits 0 exactly when the address is the CGA of the parameters
 * (RFC 3972 section 5: the u and g bits aside) with a Sec of at least
 * the one given, and 1 otherwise, saying why.
 *
 * run makes the CGA link-local address of the key (fe80::/64) on the
 * interface, adds it (rtnetlink) once the SeND socket is open so that its
 * Duplicate Address Detection is signed too (a duplicate makes it try
 * the next collision count, up to 2), and then protects Neighbor
 * Discovery on the host until SIGINT, SIGTERM or SIGHUP or the time (-t)
 * is up; it removes the address and prints its counters then, and on
 * SIGUSR1.  Outgoing NS, NA, RS, RA and Redirect messages from the CGA
 * are signed, incoming ones verified (see proto.c).  By default
 * unsecured messages pass (mixed mode); --secure-only drops them.  Peer
 * keys must have -b bits at least (1024 by default, up to 4096).  -v
 * prints a line per message.  The SeND socket needs root and a backend
 * that intercepts ND: nfqueue, chosen unless XKPI_BACKEND says otherwise,
 * with the host's ND queued to it (docs/backends.md), for example:
 *
 *	for t in 133 134 135 136 137; do for c in INPUT OUTPUT; do
 *	    ip6tables -A $c -p icmpv6 --icmpv6-type $t \
 *	        -j NFQUEUE --queue-num 0 --queue-bypass; done; done
 *	sendd run -i eth0 -k key.pem
 *
 * The kernel's own link-local address stays unless it is turned off
 * (`ip link set eth0 addrgenmode none` before the link comes up); the
 * messages it sends are not signed.  Exit status: 0, 1 on a failure,
 * 2 for a usage error.
 *
 * (`sendd sign-test -k key.pem -o dir [-s sec] [-m modifier]` is for
 * the tests: it signs one NS as run would and writes msg.bin, the signed
 * octets data.bin, the signature sig.bin and the public key pub.pem, so
 * that another implementation can check the signature.)
 *
 *	cc -o sendd sendd.c addr.c cga.c ndopt.c proto.c sign.c \
 *	    $(pkg-config --cflags --libs xkpi libcrypto)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <netinet6/send.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "sendd.h"

#define DRAIN_MAX	4096		/* receives per upcall: a bound */
#define TIME_MAX	86400UL
#define DAD_WAIT_MS	10000		/* for DAD to end, per try */
#define PKT_ROOM	(SND_RCVBUF + 2048) /* a message and our options */

struct daemon {
	pthread_mutex_t	 d_lock;
	pthread_cond_t	 d_cv;
	struct sendd	 d_sd;		/* under d_lock */
	int		 d_verbose;
	int		 d_done;	/* under d_lock */
	int		 d_signal;
	errno_t		 d_error;	/* a receive error: ends the run */
	uint8_t		 d_buf[PKT_ROOM]; /* the loop thread's */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sendd cga -k key.pem -p prefix [-s sec] [-m modifier] "
	    "[-c count]\n"
	    "       sendd cga -P params.der -s sec\n"
	    "       sendd verify address params.der sec\n"
	    "       sendd run -i ifname -k key.pem [-s sec] [-m modifier] "
	    "[-b bits]\n"
	    "           [-t seconds] [-v] [--secure-only]\n");
	exit(2);
}

static unsigned long
number(const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v > max) {
		usage();
	}
	return v;
}

static int
failx(const char *fmt, const char *arg)
{
	fprintf(stderr, "sendd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 1;
}

static int
fail(const char *what, errno_t error)
{
	fprintf(stderr, "sendd: %s: %s\n", what, strerror(error));
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly 2 x @len hex digits into @out. */
static int
hex_decode(const char *s, size_t slen, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (slen != 2 * len) {
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((hi = hexval(s[2 * i])) < 0 ||
		    (lo = hexval(s[2 * i + 1])) < 0) {
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void
hex_print(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		printf("%02x", p[i]);
	}
	printf("\n");
}

/* "fe80::" or "fe80::/64": the leftmost 64 bits, the rest zero. */
static int
parse_prefix(const char *arg, uint8_t prefix[CGA_PREFIX_LEN])
{
	char buf[INET6_ADDRSTRLEN + 4], *slash;
	struct in6_addr a;
	static const uint8_t zero[8];

	if (strlen(arg) >= sizeof(buf)) {
		return -1;
	}
	strcpy(buf, arg);
	if ((slash = strchr(buf, '/')) != NULL) {
		if (strcmp(slash, "/64") != 0) {
			return -1;
		}
		*slash = '\0';
	}
	if (inet_pton(AF_INET6, buf, &a) != 1 ||
	    memcmp(a.s6_addr + 8, zero, 8) != 0) {
		return -1;
	}
	memcpy(prefix, a.s6_addr, CGA_PREFIX_LEN);
	return 0;
}

/* CGA Parameters from a file: DER, or the hex of it. */
static int
read_params(const char *path, uint8_t *buf, size_t *lenp)
{
	uint8_t raw[2 * CGA_PARAMS_MAX + 2];
	size_t n, i, hexlen;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		return fail(path, errno);
	}
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (n == sizeof(raw)) {
		return failx("%s: too long for CGA parameters", path);
	}
	for (hexlen = n; hexlen > 0 && isspace(raw[hexlen - 1]); hexlen--) {
		continue;
	}
	for (i = 0; i < hexlen && hexval(raw[i]) >= 0; i++) {
		continue;
	}
	if (hexlen > 0 && i == hexlen && hexlen % 2 == 0) {
		if (hexlen / 2 > CGA_PARAMS_MAX ||
		    hex_decode((char *)raw, hexlen, buf, hexlen / 2) != 0) {
			return failx("%s: bad hex", path);
		}
		*lenp = hexlen / 2;
		return 0;
	}
	if (n > CGA_PARAMS_MAX) {
		return failx("%s: too long for CGA parameters", path);
	}
	memcpy(buf, raw, n);
	*lenp = n;
	return 0;
}

/*
 * The CGA Parameters of @key (which must have @minbits) for @prefix,
 * with the modifier @mod (given: checked against Sec) or searched from
 * a random one, and collision count @cc.
 */
static int
make_params(EVP_PKEY *key, int minbits, const uint8_t prefix[8],
    unsigned int sec, const uint8_t *mod, unsigned int cc, uint8_t *params,
    size_t *lenp)
{
	uint8_t m[CGA_MOD_LEN], hash2[CGA_HASH2_LEN], *der;
	size_t derlen;
	int error, rc = 1;

	if ((error = key_check(key, minbits, KEY_BITS_MAX)) != 0) {
		fprintf(stderr, "sendd: the key must be RSA of %d to %d "
		    "bits (it has %d)\n", minbits, KEY_BITS_MAX,
		    EVP_PKEY_get_bits(key));
		return 1;
	}
	if (key_der(key, &der, &derlen) != 0) {
		return failx("%s", "cannot encode the public key");
	}
	if (mod != NULL) {
		memcpy(m, mod, sizeof(m));
		if ((error = cga_hash2(m, der, derlen, NULL, 0, hash2)) !=
		    CGA_OK) {
			failx("%s", cga_strerror(error));
			goto out;
		}
		if (!cga_hash2_ok(hash2, sec)) {
			fprintf(stderr, "sendd: the modifier does not "
			    "satisfy Sec %u\n", sec);
			goto out;
		}
	} else {
		if (RAND_bytes(m, sizeof(m)) != 1) {
			failx("%s", "no random modifier");
			goto out;
		}
		if (sec >= 2) {
			fprintf(stderr, "sendd: searching a modifier for "
			    "Sec %u: about 2^%u hashes\n", sec, 16 * sec);
		}
		if ((error = cga_search(der, derlen, sec, m, 0, NULL)) !=
		    CGA_OK) {
			failx("%s", cga_strerror(error));
			goto out;
		}
	}
	if ((error = cga_build(params, CGA_PARAMS_MAX, lenp, m, prefix, cc,
	    der, derlen)) != CGA_OK) {
		failx("%s", cga_strerror(error));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

static int
cmd_cga(int argc, char **argv)
{
	uint8_t prefix[CGA_PREFIX_LEN], mod[CGA_MOD_LEN];
	uint8_t params[CGA_PARAMS_MAX];
	const char *keyfile = NULL, *pfile = NULL;
	char buf[INET6_ADDRSTRLEN];
	struct cga_params cp;
	struct in6_addr a;
	unsigned int sec = 1, cc = 0;
	size_t plen;
	EVP_PKEY *key;
	uint8_t hash2[CGA_HASH2_LEN];
	int ch, priv, error, have_mod = 0, have_prefix = 0, have_sec = 0;

	while ((ch = getopt(argc, argv, "c:k:m:P:p:s:")) != -1) {
		switch (ch) {
		case 'c':
			cc = (unsigned int)number(optarg, CGA_CC_MAX);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'm':
			if (hex_decode(optarg, strlen(optarg), mod,
			    sizeof(mod)) != 0) {
				usage();
			}
			have_mod = 1;
			break;
		case 'P':
			pfile = optarg;
			break;
		case 'p':
			if (parse_prefix(optarg, prefix) != 0) {
				usage();
			}
			have_prefix = 1;
			break;
		case 's':
			sec = (unsigned int)number(optarg, CGA_SEC_MAX);
			have_sec = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (keyfile == NULL) == (pfile == NULL) ||
	    (keyfile != NULL && !have_prefix) ||
	    (pfile != NULL && (!have_sec || have_mod || have_prefix ||
	    cc != 0))) {
		usage();
	}
	if (pfile != NULL) {
		if (read_params(pfile, params, &plen) != 0) {
			return 1;
		}
		if ((error = cga_parse(params, plen, &cp)) != CGA_OK) {
			return failx("parameters: %s", cga_strerror(error));
		}
		error = cga_hash2(params, cp.cp_key, cp.cp_keylen,
		    cp.cp_key + cp.cp_keylen, cp.cp_extlen, hash2);
		if (error == CGA_OK && !cga_hash2_ok(hash2, sec)) {
			error = CGA_EHASH2;
		}
	} else {
		if ((key = key_load(keyfile, &priv)) == NULL) {
			return failx("%s: no PEM RSA key", keyfile);
		}
		error = make_params(key, KEY_BITS_CGA_MIN, prefix, sec,
		    have_mod ? mod : NULL, cc, params, &plen);
		EVP_PKEY_free(key);
		if (error != 0) {
			return 1;
		}
		error = cga_parse(params, plen, &cp);
	}
	if (error == CGA_OK) {
		error = cga_address(&cp, sec, &a);
	}
	if (error != CGA_OK) {
		return failx("%s", cga_strerror(error));
	}
	printf("%s\n", inet_ntop(AF_INET6, &a, buf, sizeof(buf)));
	hex_print(params, plen);
	return 0;
}

static int
cmd_verify(int argc, char **argv)
{
	uint8_t params[CGA_PARAMS_MAX];
	struct in6_addr a;
	unsigned int sec, minsec;
	size_t plen;
	int error;

	if (argc != 4) {
		usage();
	}
	if (inet_pton(AF_INET6, argv[1], &a) != 1) {
		usage();
	}
	minsec = (unsigned int)number(argv[3], CGA_SEC_MAX);
	if (read_params(argv[2], params, &plen) != 0) {
		return 1;
	}
	sec = 0;
	error = cga_verify(&a, params, plen, minsec, &sec);
	if (error != CGA_OK) {
		if (error == CGA_ESEC) {
			fprintf(stderr, "sendd: %s: Sec %u, below %u\n",
			    argv[1], sec, minsec);
		} else {
			fprintf(stderr, "sendd: %s: %s\n", argv[1],
			    cga_strerror(error));
		}
		return 1;
	}
	printf("%s: verified, Sec %u\n", argv[1], sec);
	return 0;
}

static int
write_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		return fail(path, errno);
	}
	ok = fwrite(p, 1, len, f) == len;
	if (fclose(f) != 0 || !ok) {
		return fail(path, EIO);
	}
	return 0;
}

/*
 * One NS from the CGA to the solicited-node group of fe80::1234, with a
 * source link-layer address option, signed as run signs; its pieces go
 * to @dir for another implementation to check.
 */
static int
cmd_signtest(int argc, char **argv)
{
	static struct sendd sd;
	static uint8_t pkt[PKT_ROOM], data[SND_SNDBUF + 48];
	uint8_t prefix[CGA_PREFIX_LEN], mod[CGA_MOD_LEN];
	uint8_t params[CGA_PARAMS_MAX];
	const char *keyfile = NULL, *dir = NULL;
	struct nd_msg m;
	unsigned int sec = 1;
	size_t plen, len, dlen, siglen;
	char path[4096];
	EVP_PKEY *key;
	FILE *f;
	int ch, priv, have_mod = 0, rc = 1;

	while ((ch = getopt(argc, argv, "k:m:o:s:")) != -1) {
		switch (ch) {
		case 'k':
			keyfile = optarg;
			break;
		case 'm':
			if (hex_decode(optarg, strlen(optarg), mod,
			    sizeof(mod)) != 0) {
				usage();
			}
			have_mod = 1;
			break;
		case 'o':
			dir = optarg;
			break;
		case 's':
			sec = (unsigned int)number(optarg, CGA_SEC_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || keyfile == NULL || dir == NULL) {
		usage();
	}
	if ((key = key_load(keyfile, &priv)) == NULL || !priv) {
		EVP_PKEY_free(key);
		return failx("%s: no PEM RSA private key", keyfile);
	}
	(void)parse_prefix("fe80::", prefix);
	if (make_params(key, KEY_BITS_MIN, prefix, sec,
	    have_mod ? mod : NULL, 0, params, &plen) != 0 ||
	    sd_init(&sd, key, params, plen, sec, 1) != 0) {
		goto out;
	}
	/* IPv6 header, NS, source link-layer address option. */
	memset(pkt, 0, 40 + 24 + 8);
	pkt[0] = 0x60;
	pkt[6] = ICMP6_PROTO;
	pkt[7] = ND_HOPLIMIT;
	memcpy(pkt + 8, &sd.sd_addr, 16);
	(void)inet_pton(AF_INET6, "ff02::1:ff00:1234", pkt + 24);
	pkt[40] = ND_TYPE_NS;
	(void)inet_pton(AF_INET6, "fe80::1234", pkt + 48);
	pkt[64] = 1;
	pkt[65] = 1;
	memcpy(pkt + 66, "\x02\x00\x00\x00\x00\x01", 6);
	len = 40 + 24 + 8;
	nd_fixup(pkt, len);
	if (sd_output(&sd, pkt, len, sizeof(pkt), 1, &len) != SD_PASS ||
	    nd_parse(pkt, len, &m) != ND_OK || m.nm_sig == 0) {
		failx("%s", "signing the NS failed");
		goto out;
	}
	siglen = (size_t)EVP_PKEY_get_size(key);
	if (snd_signed_octets(pkt, m.nm_sig, data, sizeof(data), &dlen) !=
	    0) {
		goto out;
	}
	if (write_file(dir, "msg.bin", pkt, len) != 0 ||
	    write_file(dir, "data.bin", data, dlen) != 0 ||
	    write_file(dir, "sig.bin", pkt + m.nm_sig + 20, siglen) != 0) {
		goto out;
	}
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	if ((f = fopen(path, "w")) == NULL) {
		fail(path, errno);
		goto out;
	}
	if (PEM_write_PUBKEY(f, key) != 1) {
		fclose(f);
		fail(path, EIO);
		goto out;
	}
	fclose(f);
	printf("%s\n", inet_ntop(AF_INET6, &sd.sd_addr, path, sizeof(path)));
	rc = 0;
out:
	sd_fini(&sd);
	EVP_PKEY_free(key);
	return rc;
}

static const char *
type_name(const uint8_t *pkt, size_t len)
{
	if (len <= IP6_HLEN) {
		return "?";
	}
	switch (pkt[IP6_HLEN]) {
	case ND_TYPE_RS:
		return "RS";
	case ND_TYPE_RA:
		return "RA";
	case ND_TYPE_NS:
		return "NS";
	case ND_TYPE_NA:
		return "NA";
	case ND_TYPE_REDIRECT:
		return "Redirect";
	default:
		return "?";
	}
}

/* One line per message with -v: what it was and the counter it went to. */
static void
print_verdict(struct daemon *d, const struct sockaddr_send *from,
    const uint8_t *pkt, size_t len, const uint64_t *before)
{
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
	const char *what = "?";
	int i;

	for (i = 0; i < SD_NCOUNTERS; i++) {
		if (d->d_sd.sd_ctr[i] != before[i]) {
			what = sd_counter_name[i];
		}
	}
	if (len >= IP6_HLEN) {
		inet_ntop(AF_INET6, pkt + 8, src, sizeof(src));
		inet_ntop(AF_INET6, pkt + 24, dst, sizeof(dst));
	}
	printf("sendd: %s %s %s > %s len %zu if %d: %s\n",
	    from->send_direction == SND_IN ? "in" : "out",
	    type_name(pkt, len), src, dst, len, from->send_ifidx, what);
}

static void
snd_upcall(socket_t so, void *cookie, int waitf)
{
	struct daemon *d = cookie;
	uint64_t before[SD_NCOUNTERS];
	struct sockaddr_send from;
	struct msghdr msg;
	struct iovec iov;
	size_t len, out, sent;
	errno_t error;
	int i, verdict;

	(void)waitf;
	for (i = 0; i < DRAIN_MAX; i++) {
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = d->d_buf;
		iov.iov_len = SND_RCVBUF;
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		len = 0;
		error = sock_receive(so, &msg, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			break;
		}
		pthread_mutex_lock(&d->d_lock);
		if (error != 0) {
			if (!d->d_done) {
				d->d_error = error;
				d->d_done = 1;
				pthread_cond_broadcast(&d->d_cv);
			}
			pthread_mutex_unlock(&d->d_lock);
			break;
		}
		memcpy(before, d->d_sd.sd_ctr, sizeof(before));
		out = len;
		if ((msg.msg_flags & MSG_TRUNC) != 0) {
			d->d_sd.sd_ctr[SD_SOCK_DROP_READ]++;
			verdict = SD_DROP;
		} else if (from.send_direction == SND_OUT) {
			verdict = sd_output(&d->d_sd, d->d_buf, len,
			    sizeof(d->d_buf), from.send_ifidx, &out);
		} else if (from.send_direction == SND_IN) {
			verdict = sd_input(&d->d_sd, d->d_buf, len,
			    from.send_ifidx, &out);
		} else {
			d->d_sd.sd_ctr[SD_SOCK_DROP_READ]++;
			verdict = SD_DROP;
		}
		if (d->d_verbose) {
			print_verdict(d, &from, d->d_buf, out, before);
		}
		pthread_mutex_unlock(&d->d_lock);
		if (verdict != SD_PASS) {
			continue;
		}
		/* Back where it came from, the same way. */
		iov.iov_len = out;
		msg.msg_flags = 0;
		if ((error = sock_send(so, &msg, 0, &sent)) != 0) {
			pthread_mutex_lock(&d->d_lock);
			d->d_sd.sd_ctr[SD_SOCK_DROP_WRITE]++;
			pthread_mutex_unlock(&d->d_lock);
			if (d->d_verbose) {
				printf("sendd: write back: %s\n",
				    strerror(error));
			}
		}
	}
}

static void
print_counters(struct daemon *d)
{
	uint64_t ctr[SD_NCOUNTERS];
	int i;

	pthread_mutex_lock(&d->d_lock);
	memcpy(ctr, d->d_sd.sd_ctr, sizeof(ctr));
	pthread_mutex_unlock(&d->d_lock);
	for (i = 0; i < SD_NCOUNTERS; i++) {
		printf("sendd: %-20s %llu\n", sd_counter_name[i],
		    (unsigned long long)ctr[i]);
	}
}

/*
 * Signals: one thread takes them with sigwait, so that the others (the
 * library's included) never see them.  SIGUSR1 prints the counters;
 * the others end the run.
 */
static void *
signal_thread(void *arg)
{
	struct daemon *d = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) == 0) {
		if (sig == SIGUSR1) {
			print_counters(d);
			continue;
		}
		pthread_mutex_lock(&d->d_lock);
		if (!d->d_done) {
			d->d_signal = sig;
		}
		d->d_done = 1;
		pthread_cond_broadcast(&d->d_cv);
		pthread_mutex_unlock(&d->d_lock);
		break;
	}
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @ms, or less if the run ends: 1 when it has. */
static int
daemon_sleep(struct daemon *d, int64_t ms)
{
	struct timespec until;
	int done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&d->d_lock);
	while (!d->d_done &&
	    pthread_cond_timedwait(&d->d_cv, &d->d_lock, &until) == 0) {
		continue;
	}
	done = d->d_done;
	pthread_mutex_unlock(&d->d_lock);
	return done;
}

/*
 * Adds the CGA and follows its DAD; on a duplicate, the next collision
 * count (RFC 3972 section 4, step 7).  0 with *@addedp set when the
 * address is there.
 */
static int
configure_address(struct daemon *d, const uint8_t *params, size_t plen,
    unsigned int sec, int ifidx, int *addedp)
{
	uint8_t p[CGA_PARAMS_MAX];
	char buf[INET6_ADDRSTRLEN];
	struct cga_params cp;
	struct in6_addr a;
	unsigned int cc;
	uint32_t flags = 0;
	int64_t start;
	int error;

	memcpy(p, params, plen);
	for (cc = 0; cc <= CGA_CC_MAX; cc++) {
		p[CGA_CC_OFF] = (uint8_t)cc;
		if (cga_parse(p, plen, &cp) != CGA_OK ||
		    cga_address(&cp, sec, &a) != CGA_OK) {
			return failx("%s", "bad parameters");
		}
		pthread_mutex_lock(&d->d_lock);
		memcpy(d->d_sd.sd_params, p, plen);
		d->d_sd.sd_addr = a;
		pthread_mutex_unlock(&d->d_lock);
		inet_ntop(AF_INET6, &a, buf, sizeof(buf));
		error = addr_add(ifidx, &a);
		if (error != 0 && error != EEXIST) {
			return fail("adding the address", error);
		}
		*addedp = 1;
		for (start = now_ms(); now_ms() - start < DAD_WAIT_MS;) {
			if ((error = addr_flags(ifidx, &a, &flags)) != 0) {
				return fail("reading the address", error);
			}
			if ((flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !=
			    IFA_F_TENTATIVE) {
				break;
			}
			if (daemon_sleep(d, 100)) {
				return 0;
			}
		}
		if ((flags & IFA_F_DADFAILED) == 0) {
			if ((flags & IFA_F_TENTATIVE) != 0) {
				fprintf(stderr, "sendd: %s: still tentative "
				    "(is the link up?)\n", buf);
			}
			printf("sendd: address %s, Sec %u, collision count "
			    "%u\n", buf, sec, cc);
			return 0;
		}
		fprintf(stderr, "sendd: %s: duplicate address\n", buf);
		(void)addr_del(ifidx, &a);
		*addedp = 0;
	}
	return failx("%s", "three duplicates: giving up (RFC 3972 4)");
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "secure-only", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	static struct daemon d;
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = NULL);
	uint8_t prefix[CGA_PREFIX_LEN], mod[CGA_MOD_LEN];
	uint8_t params[CGA_PARAMS_MAX];
	const char *ifname = NULL, *keyfile = NULL;
	unsigned long seconds = 0, minbits = KEY_BITS_MIN;
	unsigned int sec = 1;
	size_t plen;
	pthread_condattr_t cattr;
	pthread_t sigthr;
	sigset_t set;
	socket_t so = NULL;
	EVP_PKEY *key;
	errno_t error;
	int ch, ifidx, priv, have_mod = 0, secure_only = 0, added = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "b:i:k:m:s:t:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			minbits = number(optarg, KEY_BITS_MAX);
			if (minbits < KEY_BITS_CGA_MIN) {
				usage();
			}
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'm':
			if (hex_decode(optarg, strlen(optarg), mod,
			    sizeof(mod)) != 0) {
				usage();
			}
			have_mod = 1;
			break;
		case 'S':
			secure_only = 1;
			break;
		case 's':
			sec = (unsigned int)number(optarg, CGA_SEC_MAX);
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			break;
		case 'v':
			d.d_verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || ifname == NULL || keyfile == NULL) {
		usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((ifidx = (int)if_nametoindex(ifname)) == 0) {
		return fail(ifname, errno);
	}
	if ((key = key_load(keyfile, &priv)) == NULL || !priv) {
		EVP_PKEY_free(key);
		return failx("%s: no PEM RSA private key", keyfile);
	}
	(void)parse_prefix("fe80::", prefix);
	if (make_params(key, KEY_BITS_MIN, prefix, sec, have_mod ? mod : NULL,
	    0, params, &plen) != 0 ||
	    sd_init(&d.d_sd, key, params, plen, sec, ifidx) != 0) {
		EVP_PKEY_free(key);
		return 1;
	}
	d.d_sd.sd_secure_only = secure_only;
	d.d_sd.sd_minbits = (int)minbits;
	pthread_mutex_init(&d.d_lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&d.d_cv, &cattr);
	pthread_condattr_destroy(&cattr);

	/* Before the library starts its threads: they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((error = pthread_create(&sigthr, NULL, signal_thread, &d)) != 0) {
		EVP_PKEY_free(key);
		return fail("pthread_create", error);
	}

	/* The host's ND comes through netfilter queues, unless told. */
	if (getenv("XKPI_BACKEND") == NULL) {
		cfg.backend = "nfqueue";
	}
	if ((error = xkpi_init(&cfg)) != 0) {
		fail("xkpi_init", error);
		goto out;
	}
	error = sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, snd_upcall, &d,
	    &so);
	if (error != 0) {
		fail("sock_socket", error);
		goto out;
	}
	printf("sendd: %s: SeND socket open, %s mode\n", ifname,
	    secure_only ? "secure-only" : "mixed");
	if (configure_address(&d, params, plen, sec, ifidx, &added) != 0) {
		goto out;
	}
	printf("sendd: ready\n");
	if (seconds == 0) {
		seconds = TIME_MAX * 365;
	}
	(void)daemon_sleep(&d, (int64_t)seconds * 1000);
	rc = 0;

out:
	pthread_mutex_lock(&d.d_lock);
	d.d_done = 1;
	pthread_mutex_unlock(&d.d_lock);
	if (added) {
		(void)addr_del(ifidx, &d.d_sd.sd_addr);
	}
	if (so != NULL) {
		sock_close(so);
	}
	if (d.d_error != 0) {
		rc = fail("sock_receive", d.d_error);
	}
	if (d.d_signal != 0) {
		printf("sendd: %s\n", strsignal(d.d_signal));
	}
	print_counters(&d);
	xkpi_shutdown();
	pthread_kill(sigthr, SIGTERM);
	pthread_join(sigthr, NULL);
	sd_fini(&d.d_sd);
	EVP_PKEY_free(key);
	pthread_cond_destroy(&d.d_cv);
	pthread_mutex_destroy(&d.d_lock);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
	}
	/* Each subcommand's getopt sees its own name as argv[0]. */
	if (strcmp(argv[1], "cga") == 0) {
		return cmd_cga(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "verify") == 0) {
		return cmd_verify(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "run") == 0) {
		return cmd_run(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "sign-test") == 0) {
		return cmd_signtest(argc - 1, argv + 1);
	}
	usage();
	return 2;
}
