/*
 * xkpi benchmark: the SeND daemon's signatures (issue 9).  How many
 * Neighbor Discovery messages per second examples/sendd's own code signs
 * and verifies, against OpenSSL's raw RSA rates measured in the same run:
 *
 *	openssl speed	`openssl speed -seconds S -mr rsaBITS` (its own
 *			keys, one private and one public operation at a
 *			time on 36 bytes, PKCS#1 v1.5 padding, no digest);
 *	EVP raw		the same in this process, with sendd's key:
 *			EVP_PKEY_sign() and EVP_PKEY_verify() on 36 bytes,
 *			one context made once, as openssl speed does;
 *	sendd		sd_output() on an unsigned NS from the daemon's CGA
 *			(CGA, Timestamp and Nonce options, the signed
 *			octets, RSASSA-PKCS1-v1_5 with SHA-1, the RSA
 *			Signature option, length and checksum), and
 *			sd_input() of a second daemon on a signed NS (the
 *			checks, the CGA, the key from its DER, the key
 *			hash, the signature, timestamp and nonce).
 *
 *	bench_sendsig [-d seconds] [-r runs] [-b bits]... [-O openssl] [-E]
 *	    [-P]
 *
 * -d: seconds per measurement (whole seconds, 1 to 60; default 1; openssl
 * speed signs for that long, then verifies for that long); -r: runs, the
 * order of the three methods turning from run to run (default 3;
 * medians); -b: RSA key sizes (repeatable; 1024 and 2048); -O: the
 * openssl command (default "openssl"; none: that method is skipped with a
 * NOTE); -E: rates per second of elapsed time (openssl speed -elapsed),
 * not of CPU time; -P: no pinning (otherwise everything runs on the
 * first CPU we may use, openssl speed included).
 *
 * Rates are per second of CPU time by default: the measuring thread's
 * (CLOCK_THREAD_CPUTIME_ID) for the two methods in this process, and
 * openssl speed's own default, its user CPU time.  Each measurement
 * still lasts -d seconds of elapsed time, which also counts the turns
 * other jobs take on the same CPU: with -E, all three methods are
 * measured so (openssl speed with -elapsed), and a loaded machine makes
 * them noisy.  Links the daemon's pieces as
 * tests/unit/test_sendd does; needs no privilege and no network.  Prints
 * its own report, then ROW| and NOTE| lines for bench/run.sh.  Exit
 * status 1 when a signature fails or does not verify (a bug, not a
 * speed), 2 for a usage error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "bench_util.h"
#include "sendd.h"

#define MAXBITS		4
#define IFIDX		7	/* any: both daemons are on it */
#define RAW_LEN		36	/* what openssl speed signs */
#define PKT_ROOM	(SND_RCVBUF + 2048)

enum method { M_SPEED, M_EVP, M_SENDD, M_N };
static const char *m_name[M_N] = { "openssl speed", "EVP raw", "sendd" };

static int	opt_secs = 1;
static int	opt_runs = 3;
static int	opt_bits[MAXBITS];
static int	opt_nbits;
static const char *opt_openssl = "openssl";
static int	opt_nopin;
static int	opt_elapsed;	/* rates per second of elapsed time */
static const char *speed_na;	/* why openssl speed is not measured */

/* The clock both daemons read: frozen, so one message verifies again. */
static int64_t	frozen_ts;

static int64_t
frozen_clock(void)
{
	return frozen_ts;
}

struct rates {
	double	sign;		/* per second */
	double	verify;
};

static double
per_sec_n(uint64_t n, uint64_t ns)
{
	return ns == 0 ? 0 : (double)n * (double)NSEC / (double)ns;
}

/* The clock rates are measured on: this thread's CPU time, or -E's. */
static uint64_t
rate_ns(void)
{
	struct timespec ts;

	if (opt_elapsed) {
		return now_ns();
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */

/*
 * openssl speed, in machine-readable form: its last line is
 * "+F2:index:bits:signs per second:verifies per second".  0, or -1 when
 * it did not run or said nothing of the kind.
 */
static int
run_speed(int bits, struct rates *r)
{
	char cmd[512], line[256];
	unsigned int idx, b;
	double s, v;
	int found = 0, rc;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s speed%s -seconds %d -mr rsa%d "
	    "2>/dev/null", opt_openssl, opt_elapsed ? " -elapsed" : "",
	    opt_secs, bits);
	if ((f = popen(cmd, "r")) == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "+F2:%u:%u:%lf:%lf", &idx, &b, &s, &v) == 4 &&
		    (int)b == bits) {
			r->sign = s;
			r->verify = v;
			found = 1;
		}
	}
	rc = pclose(f);
	return found && rc == 0 ? 0 : -1;
}

/* OpenSSL's raw private and public operation, in this process. */
static int
run_evp(EVP_PKEY *key, struct rates *r)
{
	uint8_t in[RAW_LEN], sig[KEY_BITS_MAX / 8];
	EVP_PKEY_CTX *sctx = NULL, *vctx = NULL;
	uint64_t t0, t1, deadline, n, c0;
	size_t siglen = sizeof(sig);
	int rc = -1;

	memset(in, 0x5e, sizeof(in));
	if ((sctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    (vctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(sctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(sctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_verify_init(vctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) != 1) {
		goto out;
	}
	c0 = rate_ns();
	t0 = now_ns();
	deadline = t0 + (uint64_t)opt_secs * NSEC;
	for (n = 0, t1 = t0; t1 < deadline; n++, t1 = now_ns()) {
		siglen = sizeof(sig);
		if (EVP_PKEY_sign(sctx, sig, &siglen, in, sizeof(in)) != 1) {
			fprintf(stderr, "bench_sendsig: EVP_PKEY_sign "
			    "failed\n");
			goto out;
		}
	}
	r->sign = per_sec_n(n, rate_ns() - c0);
	c0 = rate_ns();
	t0 = now_ns();
	deadline = t0 + (uint64_t)opt_secs * NSEC;
	for (n = 0, t1 = t0; t1 < deadline; n++, t1 = now_ns()) {
		if (EVP_PKEY_verify(vctx, sig, siglen, in, sizeof(in)) != 1) {
			fprintf(stderr, "bench_sendsig: EVP_PKEY_verify "
			    "failed\n");
			goto out;
		}
	}
	r->verify = per_sec_n(n, rate_ns() - c0);
	rc = 0;
out:
	EVP_PKEY_CTX_free(sctx);
	EVP_PKEY_CTX_free(vctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* sendd's code: two daemons, A signs, B verifies. */

struct pair {
	EVP_PKEY	*p_key_a, *p_key_b;
	struct sendd	 p_a, p_b;
	uint8_t		 p_ns[PKT_ROOM];	/* unsigned, from A */
	size_t		 p_nslen;
	uint8_t		 p_signed[PKT_ROOM];	/* A's signed NS */
	size_t		 p_signedlen;
};

/* A daemon of @key's CGA in fe80::/64, Sec 0 (no modifier search). */
static int
daemon_of(struct sendd *sd, EVP_PKEY *key)
{
	static const uint8_t prefix[CGA_PREFIX_LEN] = { 0xfe, 0x80 };
	uint8_t params[CGA_PARAMS_MAX], mod[CGA_MOD_LEN], *der = NULL;
	size_t derlen, plen;
	int rc = -1;

	if (RAND_bytes(mod, sizeof(mod)) != 1 ||
	    key_der(key, &der, &derlen) != 0 ||
	    cga_build(params, sizeof(params), &plen, mod, prefix, 0, der,
	    derlen) != CGA_OK ||
	    sd_init(sd, key, params, plen, 0, IFIDX) != 0) {
		goto out;
	}
	sd->sd_clock = frozen_clock;
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

/*
 * An NS from A's CGA to the solicited-node group of B's, for B's, with a
 * source link-layer address option: what Linux sends to resolve B.
 */
static size_t
make_ns(uint8_t *p, const struct in6_addr *src, const struct in6_addr *tgt)
{
	static const uint8_t slla[8] = { 1, 1, 0x02, 0x00, 0x5e, 0, 0, 1 };
	size_t len = IP6_HLEN + ND_FIXED_NS;

	memset(p, 0, len + sizeof(slla));
	p[0] = 0x60;
	p[6] = ICMP6_PROTO;
	p[7] = ND_HOPLIMIT;
	memcpy(p + 8, src, 16);
	p[24] = 0xff;
	p[25] = 0x02;
	p[35] = 0x01;
	p[36] = 0xff;
	memcpy(p + 37, tgt->s6_addr + 13, 3);
	p[IP6_HLEN] = ND_TYPE_NS;
	memcpy(p + IP6_HLEN + 8, tgt, 16);
	memcpy(p + len, slla, sizeof(slla));
	len += sizeof(slla);
	nd_fixup(p, len);
	return len;
}

static int
pair_init(struct pair *pr, int bits)
{
	size_t out;

	memset(pr, 0, sizeof(*pr));
	frozen_ts = ts_now();
	if ((pr->p_key_a = EVP_RSA_gen((unsigned int)bits)) == NULL ||
	    (pr->p_key_b = EVP_RSA_gen((unsigned int)bits)) == NULL ||
	    daemon_of(&pr->p_a, pr->p_key_a) != 0 ||
	    daemon_of(&pr->p_b, pr->p_key_b) != 0) {
		fprintf(stderr, "bench_sendsig: RSA %d keys or daemons\n",
		    bits);
		return -1;
	}
	pr->p_nslen = make_ns(pr->p_ns, &pr->p_a.sd_addr, &pr->p_b.sd_addr);
	memcpy(pr->p_signed, pr->p_ns, pr->p_nslen);
	if (sd_output(&pr->p_a, pr->p_signed, pr->p_nslen,
	    sizeof(pr->p_signed), IFIDX, &out) != SD_PASS ||
	    pr->p_a.sd_ctr[SD_OUT_SIGNED] != 1) {
		fprintf(stderr, "bench_sendsig: sd_output did not sign\n");
		return -1;
	}
	pr->p_signedlen = out;
	return 0;
}

static void
pair_fini(struct pair *pr)
{
	sd_fini(&pr->p_a);
	sd_fini(&pr->p_b);
	EVP_PKEY_free(pr->p_key_a);
	EVP_PKEY_free(pr->p_key_b);
}

/* Messages signed (sd_output) and verified (sd_input) per second. */
static int
run_sendd(struct pair *pr, struct rates *r)
{
	static uint8_t pkt[PKT_ROOM];
	uint64_t t0, t1, deadline, n, s0, v0, c0;
	size_t out;

	s0 = pr->p_a.sd_ctr[SD_OUT_SIGNED];
	c0 = rate_ns();
	t0 = now_ns();
	deadline = t0 + (uint64_t)opt_secs * NSEC;
	for (n = 0, t1 = t0; t1 < deadline; n++, t1 = now_ns()) {
		memcpy(pkt, pr->p_ns, pr->p_nslen);
		if (sd_output(&pr->p_a, pkt, pr->p_nslen, sizeof(pkt), IFIDX,
		    &out) != SD_PASS) {
			break;
		}
	}
	if (pr->p_a.sd_ctr[SD_OUT_SIGNED] - s0 != n) {
		fprintf(stderr, "bench_sendsig: %" PRIu64 " of %" PRIu64
		    " messages signed\n", pr->p_a.sd_ctr[SD_OUT_SIGNED] - s0,
		    n);
		return -1;
	}
	r->sign = per_sec_n(n, rate_ns() - c0);
	v0 = pr->p_b.sd_ctr[SD_IN_SECURED];
	c0 = rate_ns();
	t0 = now_ns();
	deadline = t0 + (uint64_t)opt_secs * NSEC;
	for (n = 0, t1 = t0; t1 < deadline; n++, t1 = now_ns()) {
		memcpy(pkt, pr->p_signed, pr->p_signedlen);
		if (sd_input(&pr->p_b, pkt, pr->p_signedlen, IFIDX, &out) !=
		    SD_PASS) {
			break;
		}
	}
	if (pr->p_b.sd_ctr[SD_IN_SECURED] - v0 != n) {
		fprintf(stderr, "bench_sendsig: %" PRIu64 " of %" PRIu64
		    " messages verified\n", pr->p_b.sd_ctr[SD_IN_SECURED] - v0,
		    n);
		return -1;
	}
	r->verify = per_sec_n(n, rate_ns() - c0);
	return 0;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_sendsig [-d seconds] [-r runs] "
	    "[-b bits]... [-O openssl] [-E] [-P]\n");
	exit(2);
}

static void
note_goal(const char *what, int bits, double x, double ref,
    const char *refname)
{
	double r = ref > 0 ? x / ref : 0;

	printf("NOTE|sendd %s rsa%d: %.2fx %s (goal >= 0.9x): %s\n", what,
	    bits, r, refname, r >= 0.9 ? "met" : "missed");
}

static int
run_bits(int bits)
{
	static struct rates res[M_N][MAXRUNS];
	double v[MAXRUNS], med[M_N][2];
	struct pair pr;
	int run, i, k, q, rc = -1;

	printf("RSA %d:\n", bits);
	if (pair_init(&pr, bits) != 0) {
		goto out;
	}
	memset(res, 0, sizeof(res));
	for (run = 0; run < opt_runs; run++) {
		for (i = 0; i < M_N; i++) {
			/* The first method turns: none always goes first. */
			k = (run + i) % M_N;
			if (k == M_SPEED) {
				if (speed_na != NULL) {
					continue;
				}
				if (run_speed(bits, &res[k][run]) != 0) {
					speed_na = "n/a (openssl speed did "
					    "not run)";
					continue;
				}
			} else if (k == M_EVP) {
				if (run_evp(pr.p_key_a, &res[k][run]) != 0) {
					goto out;
				}
			} else if (run_sendd(&pr, &res[k][run]) != 0) {
				goto out;
			}
			printf("  %-13s run %d: sign %9.1f/s  verify %9.1f/s\n",
			    m_name[k], run + 1, res[k][run].sign,
			    res[k][run].verify);
			fflush(stdout);
		}
	}
	for (k = 0; k < M_N; k++) {
		for (q = 0; q < 2; q++) {
			for (run = 0; run < opt_runs; run++) {
				v[run] = q == 0 ? res[k][run].sign :
				    res[k][run].verify;
			}
			med[k][q] = median(v, opt_runs);
		}
		if (k == M_SPEED && speed_na != NULL) {
			continue;
		}
		printf("  %-13s median: sign %9.1f/s  verify %9.1f/s\n",
		    m_name[k], med[k][0], med[k][1]);
	}
	if (speed_na == NULL) {
		printf("ROW|sendd sign rsa%d (msg/s) vs openssl speed|%.0f|"
		    "%.0f|%.3f\n", bits, med[M_SPEED][0], med[M_SENDD][0],
		    med[M_SENDD][0] / med[M_SPEED][0]);
		printf("ROW|sendd verify rsa%d (msg/s) vs openssl speed|%.0f|"
		    "%.0f|%.3f\n", bits, med[M_SPEED][1], med[M_SENDD][1],
		    med[M_SENDD][1] / med[M_SPEED][1]);
		note_goal("sign", bits, med[M_SENDD][0], med[M_SPEED][0],
		    "openssl speed");
		note_goal("verify", bits, med[M_SENDD][1], med[M_SPEED][1],
		    "openssl speed");
	} else {
		printf("NOTE|sendd rsa%d: openssl speed %s\n", bits, speed_na);
	}
	printf("ROW|  sign rsa%d vs EVP raw, same key (msg/s)|%.0f|%.0f|"
	    "%.3f\n", bits, med[M_EVP][0], med[M_SENDD][0],
	    med[M_SENDD][0] / med[M_EVP][0]);
	printf("ROW|  verify rsa%d vs EVP raw, same key (msg/s)|%.0f|%.0f|"
	    "%.3f\n", bits, med[M_EVP][1], med[M_SENDD][1],
	    med[M_SENDD][1] / med[M_EVP][1]);
	rc = 0;
out:
	pair_fini(&pr);
	return rc;
}

int
main(int argc, char **argv)
{
	struct utsname un;
	int ch, cpu, other, i;

	while ((ch = getopt(argc, argv, "d:r:b:O:EP")) != -1) {
		switch (ch) {
		case 'd':
			opt_secs = atoi(optarg);
			if (opt_secs < 1 || opt_secs > 60) {
				usage();
			}
			break;
		case 'r':
			opt_runs = atoi(optarg);
			if (opt_runs < 1 || opt_runs > MAXRUNS) {
				usage();
			}
			break;
		case 'b':
			if (opt_nbits == MAXBITS) {
				usage();
			}
			opt_bits[opt_nbits] = atoi(optarg);
			if (opt_bits[opt_nbits] < KEY_BITS_MIN ||
			    opt_bits[opt_nbits] > KEY_BITS_MAX) {
				usage();
			}
			opt_nbits++;
			break;
		case 'O':
			opt_openssl = optarg;
			break;
		case 'E':
			opt_elapsed = 1;
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		usage();
	}
	if (opt_nbits == 0) {
		opt_bits[opt_nbits++] = 1024;
		opt_bits[opt_nbits++] = 2048;
	}
	if (strcmp(opt_openssl, "none") == 0) {
		speed_na = "n/a (-O none)";
	}
	choose_two_cpus(opt_nopin, &cpu, &other);
	if (pin_self(cpu) != 0) {
		fprintf(stderr, "bench_sendsig: cannot pin to CPU %d\n", cpu);
		return 1;
	}
	uname(&un);
	printf("bench_sendsig: %ld CPUs, Linux %s, %s; %d s per measurement, "
	    "%d runs (median), methods in turn; %s; rates per second of "
	    "%s\n", sysconf(_SC_NPROCESSORS_ONLN), un.release,
	    OpenSSL_version(OPENSSL_VERSION), opt_secs, opt_runs,
	    cpu >= 0 ? "pinned to the first CPU (openssl speed too)" :
	    "not pinned", opt_elapsed ? "elapsed time (-E)" :
	    "CPU time (openssl speed: its user time)");
	fflush(stdout);
	for (i = 0; i < opt_nbits; i++) {
		if (run_bits(opt_bits[i]) != 0) {
			return 1;
		}
	}
	return 0;
}
