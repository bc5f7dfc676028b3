/*
 * The SeND daemon's pieces (examples/sendd): CGAs against the RFC 3972
 * Appendix A example (embedded) and the vectors of the shared test data
 * (XK_CGA_TESTDATA, else ../shared/testdata/cga next to the source tree;
 * skipped, saying so, when absent), keys, Neighbor Discovery parsing
 * with truncated, zero-length and lying lengths, signing and verifying
 * through sd_output() and sd_input() between two daemons, timestamps
 * (window and history), nonces, mixed and secure-only modes, key sizes,
 * and random damage to a signed message: every message ends in exactly
 * one counter, never in a crash.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "sendd.h"

#ifndef XK_SRCDIR
#define XK_SRCDIR "."
#endif

#define IFIDX	3
#define ROOM	(SND_RCVBUF + 2048)

/*
 * RFC 3972 Appendix A: the CGA Parameters printed there.  Sec 1 makes
 * fe80::3c4a:5bf6:ffb4:ca6c, and Hash2 starts with 16 zero bits.
 */
static const uint8_t rfc_params[119] = {
	/* modifier */
	0x89, 0xa8, 0xa8, 0xb2, 0xe8, 0x58, 0xd8, 0xb8,
	0xf2, 0x63, 0x3f, 0x44, 0xd2, 0xd4, 0xce, 0x9b,
	/* subnet prefix fe80::, collision count 0 */
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
	/* the RSA-512 SubjectPublicKeyInfo */
	0x30, 0x5c, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
	0x00, 0x03, 0x4b, 0x00, 0x30, 0x48, 0x02, 0x41,
	0x00, 0xc2, 0xc2, 0xf1, 0x37, 0x30, 0x54, 0x54,
	0xf1, 0x0b, 0xd9, 0xce, 0xa3, 0x68, 0x44, 0xb5,
	0x30, 0xe9, 0x21, 0x1a, 0x4b, 0x26, 0x2b, 0x16,
	0x46, 0x7c, 0xb7, 0xdf, 0xba, 0x1f, 0x59, 0x5c,
	0x01, 0x94, 0xf2, 0x75, 0xbe, 0x5a, 0x4d, 0x38,
	0x6f, 0x2c, 0x3c, 0x23, 0x82, 0x50, 0x87, 0x73,
	0xc7, 0x86, 0x7f, 0x9b, 0x3b, 0x9e, 0x63, 0xa0,
	0x9c, 0x7b, 0xc4, 0x8f, 0x7a, 0x54, 0xeb, 0xef,
	0xaf, 0x02, 0x03, 0x01, 0x00, 0x01
};
static const char rfc_addr[] = "fe80::3c4a:5bf6:ffb4:ca6c";
static const uint8_t rfc_hash2[CGA_HASH2_LEN] = {
	0x00, 0x00, 0x01, 0xca, 0x68, 0x0b, 0x83, 0x88,
	0x8d, 0x09, 0x12, 0xdf, 0xfc, 0xce
};

/* Keys made once for the whole run: 1024 bits for A and B, and others. */
static EVP_PKEY *key_a, *key_b, *key_512, *key_1536, *key_ec;

/* The clock of the daemons under test, in 1/65536 s. */
static int64_t clock_a, clock_b;

static int64_t
get_clock_a(void)
{
	return clock_a;
}

static int64_t
get_clock_b(void)
{
	return clock_b;
}

#define T0	((int64_t)1700000000 * TS_SEC)

static struct sendd sd_a, sd_b;
static uint8_t pkt[ROOM], pkt2[ROOM];

static int
group_setup(void **state)
{
	(void)state;
	key_a = EVP_RSA_gen(1024);
	key_b = EVP_RSA_gen(1024);
	key_512 = EVP_RSA_gen(512);
	key_1536 = EVP_RSA_gen(1536);
	key_ec = EVP_EC_gen("P-256");
	return key_a && key_b && key_512 && key_1536 && key_ec ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_512);
	EVP_PKEY_free(key_1536);
	EVP_PKEY_free(key_ec);
	return 0;
}

static struct in6_addr
a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void
assert_addr(const struct in6_addr *a, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* CGA Parameters of @key for fe80::, Sec @sec (searched), count @cc. */
static size_t
params_of(EVP_PKEY *key, unsigned int sec, unsigned int cc,
    uint8_t params[CGA_PARAMS_MAX])
{
	static const uint8_t prefix[8] = { 0xfe, 0x80 };
	uint8_t mod[CGA_MOD_LEN] = { 0x5e, 0x4d }, *der;
	size_t derlen, len;

	assert_int_equal(key_der(key, &der, &derlen), 0);
	assert_int_equal(cga_search(der, derlen, sec, mod, 0, NULL), CGA_OK);
	assert_int_equal(cga_build(params, CGA_PARAMS_MAX, &len, mod, prefix,
	    cc, der, derlen), CGA_OK);
	OPENSSL_free(der);
	return len;
}

/* A daemon with @key's CGA (Sec 1) on IFIDX, on the clock @clk. */
static void
daemon_init(struct sendd *sd, EVP_PKEY *key, int64_t (*clk)(void))
{
	uint8_t params[CGA_PARAMS_MAX];
	size_t len;

	len = params_of(key, 1, 0, params);
	assert_int_equal(sd_init(sd, key, params, len, 1, IFIDX), 0);
	sd->sd_clock = clk;
}

static int
setup(void **state)
{
	(void)state;
	clock_a = clock_b = T0;
	daemon_init(&sd_a, key_a, get_clock_a);
	daemon_init(&sd_b, key_b, get_clock_b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sd_fini(&sd_a);
	sd_fini(&sd_b);
	return 0;
}

/* The sum of the "in." (or "out.") counters. */
static uint64_t
ctr_sum(const struct sendd *sd, const char *prefix)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SD_NCOUNTERS; i++) {
		if (strncmp(sd_counter_name[i], prefix, strlen(prefix)) == 0) {
			n += sd->sd_ctr[i];
		}
	}
	return n;
}

/* IPv6 header, hop limit 255, ICMPv6 type @type; @fixed bytes of it. */
static size_t
nd_head(uint8_t *p, uint8_t type, size_t fixed, const struct in6_addr *src,
    const struct in6_addr *dst)
{
	memset(p, 0, IP6_HLEN + fixed);
	p[0] = 0x60;
	p[6] = ICMP6_PROTO;
	p[7] = ND_HOPLIMIT;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	p[IP6_HLEN] = type;
	return IP6_HLEN + fixed;
}

/* An NS for @target with a source link-layer address option. */
static size_t
mk_ns(uint8_t *p, const struct in6_addr *src, const struct in6_addr *dst,
    const struct in6_addr *target)
{
	size_t len = nd_head(p, ND_TYPE_NS, ND_FIXED_NS, src, dst);

	memcpy(p + IP6_HLEN + 8, target, 16);
	if (memcmp(src, &in6addr_any, 16) != 0) {
		memcpy(p + len, "\x01\x01\x02\x00\x00\x00\x00\x0a", 8);
		len += 8;
	}
	nd_fixup(p, len);
	return len;
}

/* A solicited NA for @target with a target link-layer address option. */
static size_t
mk_na(uint8_t *p, const struct in6_addr *src, const struct in6_addr *dst,
    const struct in6_addr *target)
{
	size_t len = nd_head(p, ND_TYPE_NA, ND_FIXED_NA, src, dst);

	p[IP6_HLEN + 4] = 0x60;		/* solicited, override */
	memcpy(p + IP6_HLEN + 8, target, 16);
	memcpy(p + len, "\x02\x01\x02\x00\x00\x00\x00\x0b", 8);
	len += 8;
	nd_fixup(p, len);
	return len;
}

static int
cksum_ok(const uint8_t *p, size_t len)
{
	return nd_cksum(p, len) == ((uint16_t)p[IP6_HLEN + 2] << 8 |
	    p[IP6_HLEN + 3]);
}

/* --- CGAs --- */

static void
test_cga_rfc_example(void **state)
{
	struct cga_params cp;
	struct in6_addr a;
	uint8_t hash2[CGA_HASH2_LEN];
	unsigned int sec = 9;

	(void)state;
	assert_int_equal(cga_parse(rfc_params, sizeof(rfc_params), &cp),
	    CGA_OK);
	assert_int_equal(cp.cp_keylen, 94);
	assert_int_equal(cp.cp_extlen, 0);
	assert_int_equal(cp.cp_cc, 0);
	assert_int_equal(cga_address(&cp, 1, &a), CGA_OK);
	assert_addr(&a, rfc_addr);
	assert_int_equal(cga_hash2(rfc_params, cp.cp_key, cp.cp_keylen, NULL,
	    0, hash2), CGA_OK);
	assert_memory_equal(hash2, rfc_hash2, sizeof(hash2));
	assert_true(cga_hash2_ok(hash2, 1));
	assert_false(cga_hash2_ok(hash2, 2));
	a = a6(rfc_addr);
	assert_int_equal(cga_verify(&a, rfc_params, sizeof(rfc_params), 1,
	    &sec), CGA_OK);
	assert_int_equal(sec, 1);
	assert_int_equal(cga_verify(&a, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_OK);
	/* Asked for more Sec than the address has. */
	assert_int_equal(cga_verify(&a, rfc_params, sizeof(rfc_params), 2,
	    &sec), CGA_ESEC);
	/* The modifier's search from one before it takes two tries. */
	{
		uint8_t mod[CGA_MOD_LEN];
		uint64_t tries = 0;

		memcpy(mod, rfc_params, sizeof(mod));
		mod[15]--;
		assert_int_equal(cga_search(cp.cp_key, cp.cp_keylen, 1, mod,
		    0, &tries), CGA_OK);
		assert_memory_equal(mod, rfc_params, sizeof(mod));
		assert_true(tries >= 1 && tries <= 2);
	}
}

/* The checks of RFC 3972 section 5, each made to fail in turn. */
static void
test_cga_verify_failures(void **state)
{
	uint8_t p[sizeof(rfc_params) + 16];
	struct in6_addr a, b;

	(void)state;
	a = a6(rfc_addr);
	/* The u and g bits are ignored. */
	b = a;
	b.s6_addr[8] |= 0x03;
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 1,
	    NULL), CGA_OK);
	/* One bit of the identifier. */
	b = a;
	b.s6_addr[15] ^= 0x01;
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_EHASH1);
	b = a;
	b.s6_addr[8] ^= 0x04;
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_EHASH1);
	/* Sec 2 claimed: Hash2 has only 16 zero bits. */
	b = a;
	b.s6_addr[8] = (uint8_t)((b.s6_addr[8] & 0x1f) | 2 << 5);
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_EHASH2);
	/* Sec 0 claimed: Hash2 is not looked at, Hash1 holds. */
	b = a;
	b.s6_addr[8] &= 0x1f;
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_OK);
	/* Another prefix. */
	b = a;
	b.s6_addr[1] = 0x81;
	assert_int_equal(cga_verify(&b, rfc_params, sizeof(rfc_params), 0,
	    NULL), CGA_EPREFIX);
	/* Collision count 3. */
	memcpy(p, rfc_params, sizeof(rfc_params));
	p[CGA_CC_OFF] = 3;
	assert_int_equal(cga_verify(&a, p, sizeof(rfc_params), 0, NULL),
	    CGA_ECOUNT);
	/* A changed modifier: Hash1 changes. */
	memcpy(p, rfc_params, sizeof(rfc_params));
	p[0] ^= 1;
	assert_int_equal(cga_verify(&a, p, sizeof(rfc_params), 0, NULL),
	    CGA_EHASH1);
}

/* Truncated, lying and trailing bytes in the parameters. */
static void
test_cga_parse_lengths(void **state)
{
	uint8_t p[sizeof(rfc_params) + 16];
	struct cga_params cp;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(rfc_params); n++) {
		assert_int_not_equal(cga_parse(rfc_params, n, &cp), CGA_OK);
	}
	/* The key's length says more than there is. */
	memcpy(p, rfc_params, sizeof(rfc_params));
	p[CGA_KEY_OFF + 1] = 0x7f;
	assert_int_equal(cga_parse(p, sizeof(rfc_params), &cp), CGA_EDER);
	p[CGA_KEY_OFF + 1] = 0x82;	/* two length bytes, then 0x300d */
	assert_int_equal(cga_parse(p, sizeof(rfc_params), &cp), CGA_EDER);
	p[CGA_KEY_OFF + 1] = 0x84;	/* four length bytes: refused */
	assert_int_equal(cga_parse(p, sizeof(rfc_params), &cp), CGA_EDER);
	p[CGA_KEY_OFF + 1] = 0x80;	/* indefinite: not DER */
	assert_int_equal(cga_parse(p, sizeof(rfc_params), &cp), CGA_EDER);
	memcpy(p, rfc_params, sizeof(rfc_params));
	p[CGA_KEY_OFF] = 0x31;		/* not a SEQUENCE */
	assert_int_equal(cga_parse(p, sizeof(rfc_params), &cp), CGA_EDER);
	/* Extension fields: one whole one parses; a cut one does not. */
	memcpy(p, rfc_params, sizeof(rfc_params));
	memcpy(p + sizeof(rfc_params), "\x00\x01\x00\x02\xab\xcd", 6);
	assert_int_equal(cga_parse(p, sizeof(rfc_params) + 6, &cp), CGA_OK);
	assert_int_equal(cp.cp_extlen, 6);
	assert_int_equal(cga_parse(p, sizeof(rfc_params) + 5, &cp), CGA_EEXT);
	assert_int_equal(cga_parse(p, sizeof(rfc_params) + 3, &cp), CGA_EEXT);
	p[sizeof(rfc_params) + 3] = 0xff;	/* a length that lies */
	assert_int_equal(cga_parse(p, sizeof(rfc_params) + 6, &cp), CGA_EEXT);
	/* cga_build() wants exactly one DER structure as the key. */
	{
		uint8_t out[CGA_PARAMS_MAX];
		size_t len;

		assert_int_equal(cga_build(out, sizeof(out), &len, rfc_params,
		    rfc_params + 16, 0, rfc_params + CGA_KEY_OFF, 94),
		    CGA_OK);
		assert_int_equal(len, sizeof(rfc_params));
		assert_memory_equal(out, rfc_params, len);
		assert_int_equal(cga_build(out, sizeof(out), &len, rfc_params,
		    rfc_params + 16, 0, rfc_params + CGA_KEY_OFF, 93),
		    CGA_EDER);
		assert_int_equal(cga_build(out, sizeof(out), &len, rfc_params,
		    rfc_params + 16, 3, rfc_params + CGA_KEY_OFF, 94),
		    CGA_ECOUNT);
		assert_int_equal(cga_build(out, 100, &len, rfc_params,
		    rfc_params + 16, 0, rfc_params + CGA_KEY_OFF, 94),
		    CGA_ESHORT);
	}
}

/* The search: Sec 0 at once, Sec 1 found and verified, a bound kept. */
static void
test_cga_search(void **state)
{
	const uint8_t *key = rfc_params + CGA_KEY_OFF;
	uint8_t mod[CGA_MOD_LEN], hash2[CGA_HASH2_LEN];
	uint8_t out[CGA_PARAMS_MAX];
	struct cga_params cp;
	struct in6_addr a;
	uint64_t tries;
	unsigned int cc, sec;
	size_t len;

	(void)state;
	memset(mod, 0xff, sizeof(mod));
	assert_int_equal(cga_search(key, 94, 0, mod, 0, &tries), CGA_OK);
	assert_int_equal(tries, 1);
	/* From all ones, the next modifier wraps to all zeros. */
	memset(mod, 0xff, sizeof(mod));
	assert_int_equal(cga_search(key, 94, 7, mod, 2, &tries), CGA_ESEARCH);
	assert_int_equal(tries, 2);
	assert_int_equal(mod[0], 0);
	assert_int_equal(mod[15], 0);
	memset(mod, 0x11, sizeof(mod));
	assert_int_equal(cga_search(key, 94, 1, mod, 0, &tries), CGA_OK);
	assert_true(tries > 1);
	assert_int_equal(cga_hash2(mod, key, 94, NULL, 0, hash2), CGA_OK);
	assert_int_equal(hash2[0] | hash2[1], 0);
	assert_int_equal(cga_search(key, 94, 8, mod, 0, NULL), CGA_ESEC);
	/* Each collision count gives its own address, each verifies. */
	for (cc = 0; cc <= CGA_CC_MAX; cc++) {
		assert_int_equal(cga_build(out, sizeof(out), &len, mod,
		    rfc_params + 16, cc, key, 94), CGA_OK);
		assert_int_equal(cga_parse(out, len, &cp), CGA_OK);
		assert_int_equal(cga_address(&cp, 1, &a), CGA_OK);
		assert_int_equal(cga_verify(&a, out, len, 1, &sec), CGA_OK);
		assert_int_equal(sec, 1);
		assert_int_equal(a.s6_addr[8] >> 5, 1);
		assert_int_equal(a.s6_addr[8] & 0x03, 0);
	}
}

/*
 * Sec 2: a modifier `sendd cga -s 2` found once for the RFC example's
 * key (about 2^32 hashes); Hash2 starts 00000000 6d860e2b.
 */
#define SEC2_ADDRESS "fe80::401d:c0de:98af:7b8a"
static const uint8_t sec2_mod[CGA_MOD_LEN] = {
	0x35, 0xaa, 0x4f, 0xa7, 0xd2, 0xad, 0xf0, 0x6c,
	0x41, 0x30, 0x63, 0x3d, 0xe3, 0xf7, 0xfd, 0x3a
};

static void
test_cga_sec2(void **state)
{
	const uint8_t *key = rfc_params + CGA_KEY_OFF;
	uint8_t out[CGA_PARAMS_MAX], hash2[CGA_HASH2_LEN], mod[CGA_MOD_LEN];
	struct cga_params cp;
	struct in6_addr a;
	unsigned int sec;
	size_t len;

	(void)state;
	assert_int_equal(cga_hash2(sec2_mod, key, 94, NULL, 0, hash2),
	    CGA_OK);
	assert_true(cga_hash2_ok(hash2, 2));
	assert_false(cga_hash2_ok(hash2, 3));
	assert_int_equal(hash2[4], 0x6d);
	assert_int_equal(cga_build(out, sizeof(out), &len, sec2_mod,
	    rfc_params + 16, 0, key, 94), CGA_OK);
	assert_int_equal(cga_parse(out, len, &cp), CGA_OK);
	assert_int_equal(cga_address(&cp, 2, &a), CGA_OK);
	assert_addr(&a, SEC2_ADDRESS);
	assert_int_equal(cga_verify(&a, out, len, 2, &sec), CGA_OK);
	assert_int_equal(sec, 2);
	/* The search lands on it from a little before. */
	memcpy(mod, sec2_mod, sizeof(mod));
	mod[15] = (uint8_t)(mod[15] - 3);
	if (mod[15] > sec2_mod[15]) {
		mod[14]--;
	}
	assert_int_equal(cga_search(key, 94, 2, mod, 4, NULL), CGA_OK);
	assert_memory_equal(mod, sec2_mod, sizeof(mod));
}

/* Where the shared test vectors are; NULL (and a message) if absent. */
static const char *
testdata_dir(void)
{
	static char dir[4096];
	struct stat st;
	const char *env = getenv("XK_CGA_TESTDATA");

	if (env != NULL && *env != '\0') {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		snprintf(dir, sizeof(dir), "%s/../shared/testdata/cga",
		    XK_SRCDIR);
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		print_message("# CGA test vectors not found in %s (set "
		    "XK_CGA_TESTDATA): vector cases skipped\n", dir);
		return NULL;
	}
	return dir;
}

static size_t
read_file(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
	char path[16384];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		return 0;
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
hex16(const char *s, uint8_t out[16])
{
	unsigned int v;
	int i;

	assert_int_equal(strlen(s), 32);
	for (i = 0; i < 16; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Hash2 of each vector, as the README gives it. */
static const struct {
	const char	*name;
	uint8_t		 hash2[CGA_HASH2_LEN];
} vec_hash2[] = {
	{ "mn1", { 0x00, 0x00, 0x79, 0x36, 0xe1, 0x37, 0x2d, 0xcd, 0xe2, 0x32,
	    0x30, 0x07, 0xf1, 0xca } },
	{ "mn2", { 0x00, 0x00, 0x95, 0xb2, 0x9c, 0x1d, 0x7e, 0xb9, 0xd3, 0x3a,
	    0xb7, 0xee, 0x6a, 0x9f } },
	{ "veripy", { 0x00, 0x00, 0x57, 0x85, 0x72, 0x07, 0x72, 0x14, 0xca,
	    0x6e, 0x96, 0xe2, 0x24, 0x12 } },
	{ "rfc3972", { 0x00, 0x00, 0x01, 0xca, 0x68, 0x0b, 0x83, 0x88, 0x8d,
	    0x09, 0x12, 0xdf, 0xfc, 0xce } },
};

/* One vector: its address, its Hash2, and Sec + 1 refused. */
static void
check_vector(const char *name, const uint8_t *params, size_t len,
    unsigned int sec, const char *want)
{
	struct cga_params cp;
	struct in6_addr a;
	uint8_t hash2[CGA_HASH2_LEN];
	unsigned int got;
	size_t i;

	assert_int_equal(cga_parse(params, len, &cp), CGA_OK);
	assert_int_equal(cga_address(&cp, sec, &a), CGA_OK);
	assert_addr(&a, want);
	a = a6(want);
	assert_int_equal(cga_verify(&a, params, len, sec, &got), CGA_OK);
	assert_int_equal(got, sec);
	assert_int_equal(cga_verify(&a, params, len, sec + 1, NULL),
	    CGA_ESEC);
	assert_int_equal(cga_hash2(params, cp.cp_key, cp.cp_keylen,
	    cp.cp_key + cp.cp_keylen, cp.cp_extlen, hash2), CGA_OK);
	for (i = 0; i < sizeof(vec_hash2) / sizeof(vec_hash2[0]); i++) {
		if (strncmp(name, vec_hash2[i].name,
		    strlen(vec_hash2[i].name)) == 0) {
			assert_memory_equal(hash2, vec_hash2[i].hash2,
			    sizeof(hash2));
		}
	}
}

/* Every line of vectors.tsv: parameters files, and keys made into CGAs. */
static void
test_cga_vectors(void **state)
{
	uint8_t params[CGA_PARAMS_MAX], file[CGA_PARAMS_MAX], mod[16];
	uint8_t prefix[8], *der;
	char line[1024], name[64], kind[16], fname[128], pfx[64], modhex[64];
	char want[64], path[8192];
	const char *dir;
	unsigned int sec;
	size_t len, flen, derlen;
	struct in6_addr pa;
	EVP_PKEY *key;
	FILE *f;
	int n = 0, priv;

	(void)state;
	if ((dir = testdata_dir()) == NULL) {
		skip();
	}
	snprintf(path, sizeof(path), "%s/vectors.tsv", dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		assert_int_equal(sscanf(line, "%63s %15s %127s %63s %u %63s "
		    "%63s", name, kind, fname, pfx, &sec, modhex, want), 7);
		print_message("# vector %s (%s %s): %s\n", name, kind, fname,
		    want);
		if (strcmp(kind, "params") == 0) {
			len = read_file(dir, fname, params, sizeof(params));
			assert_true(len > 0 && len < sizeof(params));
			check_vector(name, params, len, sec, want);
		} else {
			assert_string_equal(kind, "key");
			snprintf(path, sizeof(path), "%s/%s", dir, fname);
			assert_non_null(key = key_load(path, &priv));
			assert_true(priv);
			assert_int_equal(key_check(key, KEY_BITS_MIN,
			    KEY_BITS_MAX), 0);
			assert_int_equal(key_der(key, &der, &derlen), 0);
			hex16(modhex, mod);
			pa = a6(pfx);
			memcpy(prefix, pa.s6_addr, 8);
			assert_int_equal(cga_build(params, sizeof(params),
			    &len, mod, prefix, 0, der, derlen), CGA_OK);
			OPENSSL_free(der);
			EVP_PKEY_free(key);
			check_vector(name, params, len, sec, want);
			/* The same bytes as the published parameters. */
			snprintf(path, sizeof(path), "%.*s.cga.params",
			    (int)strcspn(name, "-"), name);
			flen = read_file(dir, path, file, sizeof(file));
			if (flen == 0) {
				snprintf(path, sizeof(path), "%s.params",
				    name);
				flen = read_file(dir, path, file,
				    sizeof(file));
			}
			if (flen != 0) {
				assert_int_equal(flen, len);
				assert_memory_equal(file, params, len);
			}
		}
		n++;
	}
	fclose(f);
	assert_true(n >= 6);
	/* The embedded example is the published file. */
	len = read_file(dir, "rfc_example.params", file, sizeof(file));
	assert_int_equal(len, sizeof(rfc_params));
	assert_memory_equal(file, rfc_params, len);
}

/* --- keys --- */

static void
write_pem(const char *path, EVP_PKEY *key, int what)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	switch (what) {
	case 0:		/* PKCS#1 private, "RSA PRIVATE KEY" */
		assert_int_equal(PEM_write_PrivateKey_ex(f, key, NULL, NULL, 0,
		    NULL, NULL, NULL, NULL), 1);
		break;
	case 1:
		assert_int_equal(PEM_write_PUBKEY(f, key), 1);
		break;
	default:
		fputs("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
		    "-----END RSA PRIVATE KEY-----\n", f);
		break;
	}
	fclose(f);
}

static void
test_keys(void **state)
{
	char dir[] = "/tmp/test_sendd.XXXXXX", path[64];
	uint8_t *der, junk[1024];
	size_t len;
	EVP_PKEY *k;
	int priv;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	write_pem(path, key_a, 0);
	assert_non_null(k = key_load(path, &priv));
	assert_true(priv);
	assert_int_equal(EVP_PKEY_eq(k, key_a), 1);
	EVP_PKEY_free(k);
	write_pem(path, key_a, 1);
	assert_non_null(k = key_load(path, &priv));
	assert_false(priv);
	assert_int_equal(EVP_PKEY_eq(k, key_a), 1);
	EVP_PKEY_free(k);
	write_pem(path, key_a, 2);
	assert_null(key_load(path, &priv));
	unlink(path);
	assert_null(key_load(path, &priv));
	rmdir(dir);

	/* Sizes and types. */
	assert_int_equal(key_check(key_a, KEY_BITS_MIN, KEY_BITS_MAX), 0);
	assert_int_equal(key_check(key_512, KEY_BITS_MIN, KEY_BITS_MAX),
	    ERANGE);
	assert_int_equal(key_check(key_512, KEY_BITS_CGA_MIN, KEY_BITS_MAX),
	    0);
	assert_int_equal(key_check(key_1536, KEY_BITS_MIN, 1024), ERANGE);
	assert_int_equal(key_check(key_ec, 0, KEY_BITS_MAX), EPROTONOSUPPORT);

	/* DER in and out; trailing bytes are refused. */
	assert_int_equal(key_der(key_b, &der, &len), 0);
	assert_true(len < sizeof(junk) - 1);
	memcpy(junk, der, len);
	OPENSSL_free(der);
	assert_non_null(k = key_from_der(junk, len));
	assert_int_equal(EVP_PKEY_eq(k, key_b), 1);
	EVP_PKEY_free(k);
	junk[len] = 0;
	assert_null(key_from_der(junk, len + 1));
	assert_null(key_from_der(junk, len - 1));
	assert_null(key_from_der(junk, 0));
}

/* --- ND parsing --- */

static void
test_nd_parse(void **state)
{
	struct in6_addr s = a6("fe80::1"), d = a6("fe80::2");
	struct nd_msg m;
	size_t len, n;

	(void)state;
	len = mk_ns(pkt, &s, &d, &d);
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	assert_int_equal(m.nm_len, len);
	assert_int_equal(m.nm_optoff, IP6_HLEN + ND_FIXED_NS);
	assert_memory_equal(nd_target(&m), &d, 16);
	assert_true(cksum_ok(pkt, len));
	/* Every cut of it: short (the payload length lies). */
	for (n = 0; n < len; n++) {
		assert_int_equal(nd_parse(pkt, n, &m), ND_ESHORT);
	}
	/* Bytes past the payload length are not the message's. */
	memcpy(pkt2, pkt, len);
	assert_int_equal(nd_parse(pkt2, len + 5, &m), ND_OK);
	assert_int_equal(m.nm_len, len);
	/* A payload length shorter than the fixed part. */
	memcpy(pkt2, pkt, len);
	pkt2[5] = ND_FIXED_NS - 1;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_ESHORT);
	/* Not ND: an extension header, another type, another code. */
	memcpy(pkt2, pkt, len);
	pkt2[6] = 0;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_ENOTND);
	memcpy(pkt2, pkt, len);
	pkt2[IP6_HLEN] = 128;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_ENOTND);
	memcpy(pkt2, pkt, len);
	pkt2[IP6_HLEN + 1] = 1;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_ENOTND);
	memcpy(pkt2, pkt, len);
	pkt2[0] = 0x40;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_ESHORT);
	/* An option of length 0, and one longer than what is left. */
	memcpy(pkt2, pkt, len);
	pkt2[len - 7] = 0;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_EOPTLEN);
	pkt2[len - 7] = 2;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_EOPTLEN);
	pkt2[len - 7] = 255;
	assert_int_equal(nd_parse(pkt2, len, &m), ND_EOPTLEN);
	/* One byte of an option. */
	memcpy(pkt2, pkt, len);
	pkt2[len] = 1;
	nd_fixup(pkt2, len + 1);
	assert_int_equal(nd_parse(pkt2, len + 1, &m), ND_EOPTLEN);
	/* SeND options with lengths of their own that do not hold. */
	memcpy(pkt2, pkt, len);
	n = nd_add_timestamp(pkt2, len, sizeof(pkt2), 1);
	pkt2[len + 1] = 1;			/* 8 bytes, not 16 */
	nd_fixup(pkt2, n);
	assert_int_equal(nd_parse(pkt2, n, &m), ND_EOPTLEN);
	memcpy(pkt2, pkt, len);
	n = nd_add_cga(pkt2, len, sizeof(pkt2), rfc_params,
	    sizeof(rfc_params));
	pkt2[len + 2] = 250;			/* pad past the option */
	nd_fixup(pkt2, n);
	assert_int_equal(nd_parse(pkt2, n, &m), ND_EOPTLEN);
	memcpy(pkt2, pkt, len);
	memcpy(pkt2 + len, "\x0c\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	nd_fixup(pkt2, len + 16);		/* a signature option of 16 */
	assert_int_equal(nd_parse(pkt2, len + 16, &m), ND_EOPTLEN);
	/* Two CGA options. */
	memcpy(pkt2, pkt, len);
	n = nd_add_cga(pkt2, len, sizeof(pkt2), rfc_params,
	    sizeof(rfc_params));
	n = nd_add_cga(pkt2, n, sizeof(pkt2), rfc_params,
	    sizeof(rfc_params));
	nd_fixup(pkt2, n);
	assert_int_equal(nd_parse(pkt2, n, &m), ND_EDUPOPT);
	/* After the signature nothing is looked at, not even a length 0. */
	memcpy(pkt2, pkt, len);
	memcpy(pkt2 + len, "\x0c\x03", 2);
	memset(pkt2 + len + 2, 0, 22);
	memcpy(pkt2 + len + 24, "\x01\x00", 2);
	nd_fixup(pkt2, len + 32);
	assert_int_equal(nd_parse(pkt2, len + 32, &m), ND_OK);
	assert_int_equal(m.nm_sig, len);
	assert_int_equal(m.nm_sigend, len + 24);
	/* Each type's fixed part. */
	len = nd_head(pkt, ND_TYPE_RA, ND_FIXED_RA, &s, &d);
	nd_fixup(pkt, len);
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	assert_null(nd_target(&m));
	nd_fixup(pkt, len - 1);
	assert_int_equal(nd_parse(pkt, len - 1, &m), ND_ESHORT);
	len = nd_head(pkt, ND_TYPE_REDIRECT, ND_FIXED_REDIRECT, &s, &d);
	nd_fixup(pkt, len);
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	nd_fixup(pkt, len - 8);
	assert_int_equal(nd_parse(pkt, len - 8, &m), ND_ESHORT);
	/* The option builders refuse what does not fit. */
	assert_int_equal(nd_add_timestamp(pkt, 100, 110, 1), 0);
	assert_int_equal(nd_add_nonce(pkt, 100, 200, pkt, 5), 0);
	assert_int_equal(nd_add_nonce(pkt, 100, 200, pkt, 7), 0);
	assert_int_equal(nd_add_nonce(pkt, 100, 200, pkt, 14), 116);
	assert_int_equal(nd_add_cga(pkt, 100, 200, rfc_params,
	    sizeof(rfc_params)), 0);
	assert_int_equal(nd_add_sig(pkt, 100, 200, rfc_params, pkt, 128), 0);
}

/* --- signatures --- */

/* The octets signed: tag, addresses, the cut message's checksum. */
static void
test_signed_octets(void **state)
{
	struct in6_addr s = a6("fe80::1"), d = a6("ff02::1:ff00:2");
	uint8_t data[1024], sig[512];
	size_t len, cut, dlen, siglen;
	uint16_t sum;

	(void)state;
	len = mk_ns(pkt, &s, &d, &d);
	cut = nd_add_cga(pkt, len, sizeof(pkt), rfc_params,
	    sizeof(rfc_params));
	nd_fixup(pkt, cut);
	sum = (uint16_t)(pkt[IP6_HLEN + 2] << 8 | pkt[IP6_HLEN + 3]);
	/* The rest of a message after @cut changes nothing signed. */
	memcpy(pkt + cut, "\x0c\x01\x00\x00\x00\x00\x00\x00", 8);
	nd_fixup(pkt, cut + 8);
	assert_int_equal(snd_signed_octets(pkt, cut, data, sizeof(data),
	    &dlen), 0);
	assert_int_equal(dlen, 16 + 32 + cut - IP6_HLEN);
	assert_memory_equal(data, snd_msgtag, 16);
	assert_int_equal(data[0], 0x08);
	assert_int_equal(data[15], 0x08);
	assert_memory_equal(data + 16, &s, 16);
	assert_memory_equal(data + 32, &d, 16);
	assert_int_equal(data[48], ND_TYPE_NS);
	assert_int_equal(data[50] << 8 | data[51], sum);
	assert_int_not_equal(data[50] << 8 | data[51],
	    pkt[IP6_HLEN + 2] << 8 | pkt[IP6_HLEN + 3]);
	assert_memory_equal(data + 52, pkt + IP6_HLEN + 4,
	    cut - IP6_HLEN - 4);
	assert_int_equal(snd_signed_octets(pkt, cut, data, dlen - 1, &dlen),
	    EMSGSIZE);
	assert_int_equal(snd_signed_octets(pkt, IP6_HLEN + 3, data,
	    sizeof(data), &dlen), EINVAL);

	/* Signed, verified; one byte changed anywhere fails. */
	assert_int_equal(snd_signed_octets(pkt, cut, data, sizeof(data),
	    &dlen), 0);
	assert_int_equal(snd_sign(key_a, data, dlen, sig, sizeof(sig),
	    &siglen), 0);
	assert_int_equal(siglen, 128);
	assert_int_equal(snd_verify(key_a, data, dlen, sig, siglen), 0);
	assert_int_not_equal(snd_verify(key_b, data, dlen, sig, siglen), 0);
	assert_int_not_equal(snd_verify(key_a, data, dlen, sig, siglen - 1),
	    0);
	assert_int_not_equal(snd_verify(key_a, data, dlen - 1, sig, siglen),
	    0);
	for (len = 0; len < dlen; len += 7) {
		data[len] ^= 0x20;
		assert_int_not_equal(snd_verify(key_a, data, dlen, sig,
		    siglen), 0);
		data[len] ^= 0x20;
	}
	sig[5] ^= 1;
	assert_int_not_equal(snd_verify(key_a, data, dlen, sig, siglen), 0);
	assert_int_equal(snd_sign(key_a, data, dlen, sig, 127, &siglen),
	    EMSGSIZE);
	assert_int_not_equal(snd_sign(key_ec, data, dlen, sig, sizeof(sig),
	    &siglen), 0);
}

/* --- the daemon: out and in --- */

/* A signs an NS for B's address; B takes it; A's options are there. */
static size_t
a_signs_ns(void)
{
	struct in6_addr d = a6("ff02::1:ff00:0");
	struct nd_msg m;
	size_t len, out;

	memcpy(d.s6_addr + 13, sd_b.sd_addr.s6_addr + 13, 3);
	len = mk_ns(pkt, &sd_a.sd_addr, &d, &sd_b.sd_addr);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_true(out > len);
	assert_int_equal(nd_parse(pkt, out, &m), ND_OK);
	assert_true(m.nm_cga != 0 && m.nm_ts != 0 && m.nm_nonce != 0);
	assert_int_equal(m.nm_sigend, out);	/* the signature last */
	assert_int_equal(pkt[m.nm_nonce + 1], 1);	/* 6-byte nonce */
	assert_true(cksum_ok(pkt, out));
	assert_int_equal(pkt[4] << 8 | pkt[5], out - IP6_HLEN);
	return out;
}

static void
test_sign_and_verify(void **state)
{
	struct nd_msg m;
	size_t len, out, i, n;
	uint8_t nonce[6];

	(void)state;
	len = a_signs_ns();
	assert_int_equal(sd_a.sd_ctr[SD_OUT_SIGNED], 1);
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	memcpy(nonce, pkt + m.nm_nonce + 2, sizeof(nonce));
	memcpy(pkt2, pkt, len);
	assert_int_equal(sd_input(&sd_b, pkt2, len, IFIDX, &out), SD_PASS);
	assert_int_equal(out, len);
	assert_memory_equal(pkt2, pkt, len);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 1);

	/* B answers: its NA echoes A's nonce, and A takes it. */
	len = mk_na(pkt, &sd_b.sd_addr, &sd_a.sd_addr, &sd_b.sd_addr);
	assert_int_equal(sd_output(&sd_b, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(nd_parse(pkt, out, &m), ND_OK);
	assert_true(m.nm_nonce != 0);
	assert_memory_equal(pkt + m.nm_nonce + 2, nonce, sizeof(nonce));
	len = out;
	assert_int_equal(sd_input(&sd_a, pkt, len, IFIDX, &out), SD_PASS);
	assert_int_equal(sd_a.sd_ctr[SD_IN_SECURED], 1);

	/*
	 * One byte changed, anywhere signed (with the checksum made right
	 * again, or the checksum catches it): dropped, counted.  The
	 * signature option's reserved bytes and padding are not signed.
	 */
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	for (i = 8, n = 0; i < len; i++) {
		if (i == IP6_HLEN + 2 || i == IP6_HLEN + 3 ||
		    i == m.nm_sig + 2 || i == m.nm_sig + 3 ||
		    i >= m.nm_sig + 20 + 128) {
			continue;
		}
		memcpy(pkt2, pkt, len);
		pkt2[i] ^= 0x01;
		nd_fixup(pkt2, len);
		clock_a += TS_SEC / 100;
		assert_int_equal(sd_input(&sd_a, pkt2, len, IFIDX, &out),
		    SD_DROP);
		n++;
	}
	assert_int_equal(sd_a.sd_ctr[SD_IN_DROP_CKSUM], 0);
	memcpy(pkt2, pkt, len);
	pkt2[len - 1] ^= 0x01;
	assert_int_equal(sd_input(&sd_a, pkt2, len, IFIDX, &out), SD_DROP);
	assert_int_equal(sd_a.sd_ctr[SD_IN_DROP_CKSUM], 1);
	/* Reserved and padding: not signed, the message still goes on. */
	memcpy(pkt2, pkt, len);
	pkt2[m.nm_sig + 2] = 0xff;
	pkt2[len - 1] = 0xff;
	nd_fixup(pkt2, len);
	clock_a += TS_SEC;
	assert_int_equal(sd_input(&sd_a, pkt2, len, IFIDX, &out), SD_PASS);
	assert_int_equal(sd_a.sd_ctr[SD_IN_SECURED], 2);
	assert_int_equal(ctr_sum(&sd_a, "in."), 2 + n + 1);
	assert_true(sd_a.sd_ctr[SD_IN_DROP_SIG] > 0);
	assert_true(sd_a.sd_ctr[SD_IN_DROP_CGA] > 0);	/* address, params */
	assert_true(sd_a.sd_ctr[SD_IN_DROP_KEYHASH] > 0);
}

/* A message already signed, or not from our CGA, goes out unchanged. */
static void
test_output_unsigned(void **state)
{
	struct in6_addr o = a6("fe80::99"), d = a6("fe80::2");
	size_t len, out;

	(void)state;
	len = mk_ns(pkt, &o, &d, &d);
	memcpy(pkt2, pkt, len);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(out, len);
	assert_memory_equal(pkt, pkt2, len);
	/* Our CGA, but on another interface. */
	len = mk_ns(pkt, &sd_a.sd_addr, &d, &d);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX + 1,
	    &out), SD_PASS);
	assert_int_equal(out, len);
	/* An RS from the unspecified address. */
	len = nd_head(pkt, ND_TYPE_RS, ND_FIXED_RS, &in6addr_any, &d);
	nd_fixup(pkt, len);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(out, len);
	assert_int_equal(sd_a.sd_ctr[SD_OUT_UNSIGNED], 3);
	/* Signed ones are not signed twice. */
	len = a_signs_ns();
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(out, len);
	assert_int_equal(sd_a.sd_ctr[SD_OUT_UNSIGNED], 4);
	/* No room for the options: dropped, counted. */
	len = mk_ns(pkt, &sd_a.sd_addr, &d, &d);
	assert_int_equal(sd_output(&sd_a, pkt, len, len + 100, IFIDX, &out),
	    SD_DROP);
	assert_int_equal(sd_a.sd_ctr[SD_OUT_DROP_TOOBIG], 1);
	/* Malformed: dropped, counted. */
	pkt[5] = 3;
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_DROP);
	assert_int_equal(sd_a.sd_ctr[SD_OUT_DROP_SHORT], 1);
	assert_int_equal(ctr_sum(&sd_a, "out."), 7);
}

/*
 * Duplicate Address Detection: Linux's NS from :: with its own nonce
 * (RFC 7527) is signed for its target, the nonce kept (one option); the
 * peer checks the target's CGA; and the defence NA to all nodes echoes
 * the nonce.
 */
static void
test_dad(void **state)
{
	struct in6_addr d = a6("ff02::1:ff00:0"), all = a6("ff02::1");
	struct nd_msg m;
	size_t len, out, i;
	int nonces;

	(void)state;
	len = mk_ns(pkt, &in6addr_any, &d, &sd_a.sd_addr);
	memcpy(pkt + len, "\x0e\x01\x11\x22\x33\x44\x55\x66", 8);
	len += 8;
	nd_fixup(pkt, len);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(sd_a.sd_ctr[SD_OUT_SIGNED], 1);
	assert_int_equal(nd_parse(pkt, out, &m), ND_OK);
	for (i = m.nm_optoff, nonces = 0; i < out; i += pkt[i + 1] * 8) {
		nonces += pkt[i] == NDOPT_NONCE;
	}
	assert_int_equal(nonces, 1);
	assert_memory_equal(pkt + m.nm_nonce + 2, "\x11\x22\x33\x44\x55\x66",
	    6);
	len = out;
	memcpy(pkt2, pkt, len);
	assert_int_equal(sd_input(&sd_b, pkt2, len, IFIDX, &out), SD_PASS);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 1);
	/* B defends the same address (say it had it): the NA echoes. */
	sd_b.sd_addr = sd_a.sd_addr;
	len = mk_na(pkt, &sd_a.sd_addr, &all, &sd_a.sd_addr);
	assert_int_equal(sd_output(&sd_b, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	assert_int_equal(nd_parse(pkt, out, &m), ND_OK);
	assert_true(m.nm_nonce != 0);
	assert_memory_equal(pkt + m.nm_nonce + 2, "\x11\x22\x33\x44\x55\x66",
	    6);
	/* The DAD NS with another target: its CGA does not verify. */
	len = mk_ns(pkt, &in6addr_any, &d, &sd_a.sd_addr);
	memcpy(pkt + len, "\x0e\x01\x11\x22\x33\x44\x55\x66", 8);
	len += 8;
	nd_fixup(pkt, len);
	assert_int_equal(sd_output(&sd_a, pkt, len, sizeof(pkt), IFIDX,
	    &out), SD_PASS);
	pkt[IP6_HLEN + 8 + 15] ^= 1;
	nd_fixup(pkt, out);
	assert_int_equal(sd_input(&sd_b, pkt, out, IFIDX, &out), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CGA], 1);
}

/*
 * Signs whatever is in @p as @sd would (CGA, Timestamp @ts, a Nonce when
 * @nonce, the signature), without sd_output()'s rules.
 */
static size_t
sign_raw(struct sendd *sd, uint8_t *p, size_t len, int64_t ts,
    const uint8_t *nonce)
{
	uint8_t data[2048], sig[512];
	size_t dlen, siglen;

	len = nd_add_cga(p, len, ROOM, sd->sd_params, sd->sd_paramslen);
	len = nd_add_timestamp(p, len, ROOM, (uint64_t)ts);
	if (nonce != NULL) {
		len = nd_add_nonce(p, len, ROOM, nonce, 6);
	}
	nd_fixup(p, len);
	assert_int_equal(snd_signed_octets(p, len, data, sizeof(data),
	    &dlen), 0);
	assert_int_equal(snd_sign(sd->sd_key, data, dlen, sig, sizeof(sig),
	    &siglen), 0);
	len = nd_add_sig(p, len, ROOM, sd->sd_keyhash, sig, siglen);
	nd_fixup(p, len);
	return len;
}

/* An unsolicited NA from A, signed at @ts. */
static size_t
a_na_at(int64_t ts)
{
	struct in6_addr all = a6("ff02::1");
	size_t len;

	len = mk_na(pkt, &sd_a.sd_addr, &all, &sd_a.sd_addr);
	pkt[IP6_HLEN + 4] = 0x20;		/* override only */
	nd_fixup(pkt, len);
	return sign_raw(&sd_a, pkt, len, ts, NULL);
}

static int
b_takes(size_t len)
{
	size_t out;

	memcpy(pkt2, pkt, len);
	return sd_input(&sd_b, pkt2, len, IFIDX, &out);
}

/* RFC 3971 5.3.4.2: the window for a new peer, then its history. */
static void
test_timestamps(void **state)
{
	size_t len;

	(void)state;
	/* A new peer: within Delta (300 s) of our clock. */
	assert_int_equal(b_takes(a_na_at(T0 - 301 * TS_SEC)), SD_DROP);
	assert_int_equal(b_takes(a_na_at(T0 + 301 * TS_SEC)), SD_DROP);
	assert_int_equal(b_takes(a_na_at(T0 + TS_DELTA)), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_TIMESTAMP], 3);
	assert_int_equal(b_takes(a_na_at(T0 - 299 * TS_SEC)), SD_PASS);
	/* Known now, with TSlast = T0 - 299 s at RDlast = T0. */
	len = a_na_at(T0 - 299 * TS_SEC);
	clock_b = T0 + 10 * TS_SEC;
	assert_int_equal(b_takes(len), SD_DROP);	/* the same, replayed */
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_REPLAY], 1);
	/* 10 s later, 10 s on less 1% drift and 2 x fuzz: 7.9 s. */
	assert_int_equal(b_takes(a_na_at(T0 - 291 * TS_SEC - TS_SEC / 2)),
	    SD_DROP);
	assert_int_equal(b_takes(a_na_at(T0 - 291 * TS_SEC + TS_SEC / 4)),
	    SD_PASS);
	/* An older one within fuzz passes, and leaves the history as is. */
	assert_int_equal(b_takes(a_na_at(T0 - 292 * TS_SEC)), SD_PASS);
	assert_int_equal(sd_b.sd_ts.tc_ent[0].te_tslast,
	    T0 - 291 * TS_SEC + TS_SEC / 4);
	assert_int_equal(sd_b.sd_ts.tc_ent[0].te_rdlast, clock_b);
	/* The same message at the same instant: within fuzz, accepted. */
	len = a_na_at(T0);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(b_takes(len), SD_PASS);
	/* After TS_LIFETIME the peer is new again: the window only. */
	clock_b += TS_LIFETIME + TS_SEC;
	assert_int_equal(b_takes(a_na_at(T0)), SD_DROP);
	assert_int_equal(b_takes(a_na_at(clock_b - 100 * TS_SEC)), SD_PASS);
	/* No Timestamp option at all. */
	len = mk_na(pkt, &sd_a.sd_addr, &sd_a.sd_addr, &sd_a.sd_addr);
	{
		uint8_t data[2048], sig[512];
		size_t dlen, siglen;

		len = nd_add_cga(pkt, len, ROOM, sd_a.sd_params,
		    sd_a.sd_paramslen);
		nd_fixup(pkt, len);
		assert_int_equal(snd_signed_octets(pkt, len, data,
		    sizeof(data), &dlen), 0);
		assert_int_equal(snd_sign(key_a, data, dlen, sig, sizeof(sig),
		    &siglen), 0);
		len = nd_add_sig(pkt, len, ROOM, sd_a.sd_keyhash, sig,
		    siglen);
		nd_fixup(pkt, len);
	}
	assert_int_equal(b_takes(len), SD_DROP);
	/* A timestamp from the end of time. */
	assert_int_equal(b_takes(a_na_at(INT64_MAX)), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_TIMESTAMP], 6);
	assert_int_equal(ctr_sum(&sd_b, "in."), 14);
}

/* The history table: bounded, the oldest peer out first. */
static void
test_ts_cache(void **state)
{
	static struct ts_cache tc;
	struct in6_addr a = a6("fe80::1");
	int i;

	(void)state;
	memset(&tc, 0, sizeof(tc));
	for (i = 0; i < TS_CACHE_MAX + 1; i++) {
		a.s6_addr[14] = (uint8_t)(i >> 8);
		a.s6_addr[15] = (uint8_t)i;
		assert_int_equal(ts_check(&tc, &a, 1, T0 + i, T0 + i), TS_OK);
		ts_update(&tc, &a, 1, T0 + i, T0 + i);
	}
	assert_int_equal(tc.tc_n, TS_CACHE_MAX);
	a.s6_addr[14] = 0;
	a.s6_addr[15] = 0;
	assert_false(ts_known(&tc, &a, 1, T0 + 1000));	/* pushed out */
	a.s6_addr[15] = 1;
	assert_true(ts_known(&tc, &a, 1, T0 + 1000));
	assert_false(ts_known(&tc, &a, 2, T0 + 1000));	/* other link */
	assert_false(ts_known(&tc, &a, 1, T0 + TS_LIFETIME + 2));
	/* History: the drift allowance, and TSlast only moving forward. */
	assert_int_equal(ts_check(&tc, &a, 1, T0 + 1 - 2 * TS_FUZZ, T0 + 1),
	    TS_EREPLAY);
	assert_int_equal(ts_check(&tc, &a, 1, T0 + 1 - TS_FUZZ, T0 + 1),
	    TS_OK);
	ts_update(&tc, &a, 1, T0 - 5, T0 + 50);
	assert_int_equal(tc.tc_ent[1].te_tslast, T0 + 1);
	assert_int_equal(tc.tc_ent[1].te_rdlast, T0 + 1);
}

/* Nonces: a solicitation needs one; an advertisement's must be ours. */
static void
test_nonces(void **state)
{
	struct in6_addr d = a6("ff02::1:ff00:0");
	static const uint8_t n1[6] = { 1, 2, 3, 4, 5, 6 };
	size_t len;
	int64_t skew = 1000 * TS_SEC;

	(void)state;
	/* A secured NS without a nonce. */
	len = mk_ns(pkt, &sd_a.sd_addr, &d, &sd_b.sd_addr);
	len = sign_raw(&sd_a, pkt, len, T0, NULL);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_NONCE], 1);
	/* An NA with a nonce B never sent. */
	len = mk_na(pkt, &sd_a.sd_addr, &sd_b.sd_addr, &sd_a.sd_addr);
	len = sign_raw(&sd_a, pkt, len, T0, n1);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_NONCE], 2);
	/* B solicits (its nonce n1, said the way Linux's DAD says it). */
	len = mk_ns(pkt2, &sd_b.sd_addr, &d, &sd_a.sd_addr);
	memcpy(pkt2 + len, "\x0e\x01\x01\x02\x03\x04\x05\x06", 8);
	len += 8;
	nd_fixup(pkt2, len);
	assert_int_equal(sd_output(&sd_b, pkt2, len, ROOM, IFIDX, &len),
	    SD_PASS);
	/* Now the NA with n1 is solicited: fresh by its nonce, whatever
	 * its clock says. */
	len = mk_na(pkt, &sd_a.sd_addr, &sd_b.sd_addr, &sd_a.sd_addr);
	len = sign_raw(&sd_a, pkt, len, T0 - skew, n1);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(sd_b.sd_ts.tc_n, 0);	/* no history from it */
	/* The same without the nonce: unsolicited, the clock is off. */
	len = mk_na(pkt, &sd_a.sd_addr, &sd_b.sd_addr, &sd_a.sd_addr);
	len = sign_raw(&sd_a, pkt, len, T0 - skew, NULL);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_TIMESTAMP], 1);
	/* n1 for another target is not a match. */
	len = mk_na(pkt, &sd_a.sd_addr, &sd_b.sd_addr, &sd_a.sd_addr);
	pkt[IP6_HLEN + 8 + 15] ^= 1;
	len = sign_raw(&sd_a, pkt, len, T0, n1);
	assert_int_equal(b_takes(len), SD_DROP);
	/* ... nor after NONCE_LIFETIME. */
	clock_b += NONCE_LIFETIME;
	len = mk_na(pkt, &sd_a.sd_addr, &sd_b.sd_addr, &sd_a.sd_addr);
	len = sign_raw(&sd_a, pkt, len, clock_b, n1);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_NONCE], 3);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CGA], 1);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 1);
}

/*
 * Unsecured messages: a Nonce alone (Linux's DAD) is unsecured; mixed
 * mode passes them unless they speak for an address with a secured
 * history; --secure-only drops them all.
 */
static void
test_modes(void **state)
{
	struct in6_addr o = a6("fe80::99"), d = a6("ff02::1:ff00:0");
	struct in6_addr all = a6("ff02::1");
	size_t len;

	(void)state;
	len = mk_ns(pkt, &in6addr_any, &d, &o);
	memcpy(pkt + len, "\x0e\x01\x11\x22\x33\x44\x55\x66", 8);
	len += 8;
	nd_fixup(pkt, len);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(sd_b.sd_ctr[SD_IN_UNSECURED], 1);
	/* A CGA option without a signature is unsecured too. */
	len = mk_ns(pkt, &o, &d, &d);
	len = nd_add_cga(pkt, len, ROOM, sd_a.sd_params, sd_a.sd_paramslen);
	nd_fixup(pkt, len);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(sd_b.sd_ctr[SD_IN_UNSECURED], 2);
	/* After a secured NA from A, an unsecured one for A's address is
	 * refused (it would overwrite the entry), one for another passes. */
	assert_int_equal(b_takes(a_na_at(T0)), SD_PASS);
	len = mk_na(pkt, &o, &all, &sd_a.sd_addr);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SHADOWED], 1);
	len = mk_ns(pkt, &sd_a.sd_addr, &d, &o);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SHADOWED], 2);
	len = mk_na(pkt, &o, &all, &o);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(sd_b.sd_ctr[SD_IN_UNSECURED], 3);
	/* Secure-only. */
	sd_b.sd_secure_only = 1;
	assert_int_equal(b_takes(len), SD_DROP);
	len = mk_ns(pkt, &in6addr_any, &d, &o);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_UNSECURED], 2);
	assert_int_equal(b_takes(a_na_at(T0 + TS_SEC)), SD_PASS);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 2);
	/* A signed NA for someone else's address, with a valid key. */
	len = mk_na(pkt, &sd_a.sd_addr, &all, &o);
	len = sign_raw(&sd_a, pkt, len, T0 + 2 * TS_SEC, NULL);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CGA], 1);
	/* Hop limit below 255. */
	len = a_na_at(T0 + 3 * TS_SEC);
	pkt[7] = 254;
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_HOPLIMIT], 1);
	assert_int_equal(ctr_sum(&sd_b, "in."), 11);
}

/* Options after the signature are cut off before the message goes on. */
static void
test_after_signature(void **state)
{
	size_t len, out;

	(void)state;
	len = a_na_at(T0);
	memcpy(pkt + len, "\x01\x01\xaa\xbb\xcc\xdd\xee\xff", 8);
	nd_fixup(pkt, len + 8);
	memcpy(pkt2, pkt, len + 8);
	assert_int_equal(sd_input(&sd_b, pkt2, len + 8, IFIDX, &out),
	    SD_PASS);
	assert_int_equal(out, len);
	assert_int_equal(pkt2[4] << 8 | pkt2[5], len - IP6_HLEN);
	assert_true(cksum_ok(pkt2, out));
}

/* Peers' keys: too small, too large, not RSA. */
static void
test_key_sizes(void **state)
{
	static struct sendd sd_c;
	size_t len;

	(void)state;
	daemon_init(&sd_c, key_512, get_clock_a);
	len = a_na_at(T0);	/* for its shape; signed again by C below */
	len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr, &sd_c.sd_addr);
	len = sign_raw(&sd_c, pkt, len, T0, NULL);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_KEY], 1);
	sd_b.sd_minbits = 512;
	assert_int_equal(b_takes(len), SD_PASS);
	sd_fini(&sd_c);
	daemon_init(&sd_c, key_1536, get_clock_a);
	len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr, &sd_c.sd_addr);
	len = sign_raw(&sd_c, pkt, len, T0, NULL);
	sd_b.sd_maxbits = 1024;
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_KEY], 2);
	sd_b.sd_maxbits = KEY_BITS_MAX;
	assert_int_equal(b_takes(len), SD_PASS);
	/* A signature field shorter than the key's modulus. */
	len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr, &sd_c.sd_addr);
	len = sign_raw(&sd_c, pkt, len, T0 + TS_SEC, NULL);
	{
		struct nd_msg m;

		assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
		pkt[m.nm_sig + 1] = 3;
		len = m.nm_sig + 24;
		nd_fixup(pkt, len);
	}
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SIG], 1);
	sd_fini(&sd_c);
	/* An EC key's CGA: the parameters hold, the key is refused. */
	{
		uint8_t params[CGA_PARAMS_MAX], *der;
		size_t derlen, plen;
		static const uint8_t mod[16], prefix[8] = { 0xfe, 0x80 };
		struct cga_params cp;

		assert_int_equal(key_der(key_ec, &der, &derlen), 0);
		assert_int_equal(cga_build(params, sizeof(params), &plen, mod,
		    prefix, 0, der, derlen), CGA_OK);
		OPENSSL_free(der);
		memset(&sd_c, 0, sizeof(sd_c));
		assert_int_equal(sd_init(&sd_c, key_a, params, plen, 0,
		    IFIDX), 0);
		assert_int_equal(cga_parse(params, plen, &cp), CGA_OK);
		len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr,
		    &sd_c.sd_addr);
		len = sign_raw(&sd_c, pkt, len, T0, NULL);
		assert_int_equal(b_takes(len), SD_DROP);
		assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_KEY], 3);
		sd_fini(&sd_c);
	}
}

/*
 * A's NA at @ts with its signature made again by @key, A's CGA and key
 * hash kept.  Verified without the daemon: by @key, not by A's.
 */
static size_t
a_na_signed_by(EVP_PKEY *key, int64_t ts)
{
	uint8_t data[2048], sig[512];
	size_t len, dlen, siglen;
	struct nd_msg m;

	len = a_na_at(ts);
	assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
	assert_int_equal(snd_signed_octets(pkt, m.nm_sig, data, sizeof(data),
	    &dlen), 0);
	assert_int_equal(snd_sign(key, data, dlen, sig, sizeof(sig),
	    &siglen), 0);
	assert_int_equal(siglen, 128);
	assert_int_equal(snd_verify(key, data, dlen, sig, siglen), 0);
	assert_int_not_equal(snd_verify(key_a, data, dlen, sig, siglen), 0);
	memcpy(pkt + m.nm_sig + 20, sig, siglen);
	nd_fixup(pkt, len);
	return len;
}

/*
 * Peers' keys are decoded once and found again by their whole DER: the
 * verdicts are those of a key decoded for each message; when the cache
 * is full, the entry found longest ago gives way, and its key is
 * decoded again when it comes back.
 */
static void
test_key_cache(void **state)
{
	static struct sendd sd_c;
	EVP_PKEY *keys[3] = { key_a, key_b, key_1536 };
	struct key_cache *bk = &sd_b.sd_keys;
	uint8_t *der[3], hash[16];
	size_t derlen[3], len, i;
	struct key_cache kc;
	struct key_ent *ke, *ka;
	EVP_PKEY *pa;

	(void)state;
	/* A's NA: A's key decoded once, then found again. */
	assert_int_equal(bk->kc_max, KEY_CACHE_MAX);
	assert_int_equal(b_takes(a_na_at(T0)), SD_PASS);
	assert_int_equal(bk->kc_n, 1);
	assert_int_equal(bk->kc_misses, 1);
	assert_int_equal(bk->kc_hits, 0);
	pa = bk->kc_ent[0].ke_key;
	assert_int_equal(EVP_PKEY_eq(pa, key_a), 1);
	assert_int_equal(b_takes(a_na_at(T0 + TS_SEC)), SD_PASS);
	assert_int_equal(bk->kc_hits, 1);
	assert_int_equal(bk->kc_misses, 1);
	assert_ptr_equal(bk->kc_ent[0].ke_key, pa);
	/* Signed by B under A's CGA, with A's key cached: dropped. */
	assert_int_equal(b_takes(a_na_signed_by(key_b, T0 + 2 * TS_SEC)),
	    SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SIG], 1);
	assert_int_equal(bk->kc_hits, 2);
	assert_int_equal(bk->kc_misses, 1);
	/* A's own still verifies on the same entry. */
	assert_int_equal(b_takes(a_na_at(T0 + 3 * TS_SEC)), SD_PASS);
	assert_int_equal(bk->kc_hits, 3);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 3);
	/* The entry keeps A's CGA: other parameters are verified again. */
	ke = &bk->kc_ent[0];
	assert_non_null(ke->ke_cga);
	assert_int_equal(ke->ke_cgalen, sd_a.sd_paramslen);
	assert_memory_equal(ke->ke_cga, sd_a.sd_params, sd_a.sd_paramslen);
	assert_memory_equal(&ke->ke_cgaaddr, &sd_a.sd_addr, 16);
	len = a_na_at(T0 + 3 * TS_SEC);
	{
		struct nd_msg m;

		assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
		pkt[m.nm_cga + 4] ^= 0x01;	/* the modifier */
		nd_fixup(pkt, len);
	}
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CGA], 1);
	assert_int_equal(bk->kc_hits, 4);
	assert_memory_equal(ke->ke_cga, sd_a.sd_params, sd_a.sd_paramslen);
	/* Another CGA of A's key (Sec 0): kept in place of the first. */
	{
		static const uint8_t mod[16] = { 0x42 };
		static const uint8_t prefix[8] = { 0xfe, 0x80 };
		uint8_t params[CGA_PARAMS_MAX], *d;
		size_t dl, plen;

		assert_int_equal(key_der(key_a, &d, &dl), 0);
		assert_int_equal(cga_build(params, sizeof(params), &plen, mod,
		    prefix, 0, d, dl), CGA_OK);
		OPENSSL_free(d);
		assert_int_equal(sd_init(&sd_c, key_a, params, plen, 0,
		    IFIDX), 0);
	}
	assert_memory_not_equal(&sd_c.sd_addr, &sd_a.sd_addr, 16);
	len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr, &sd_c.sd_addr);
	len = sign_raw(&sd_c, pkt, len, T0, NULL);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(bk->kc_hits, 5);
	assert_int_equal(bk->kc_misses, 1);
	assert_memory_equal(&ke->ke_cgaaddr, &sd_c.sd_addr, 16);
	assert_memory_equal(ke->ke_cga, sd_c.sd_params, sd_c.sd_paramslen);
	sd_fini(&sd_c);
	/* A's first CGA again: verified again, kept again. */
	assert_int_equal(b_takes(a_na_at(T0 + 4 * TS_SEC)), SD_PASS);
	assert_int_equal(bk->kc_hits, 6);
	assert_memory_equal(&ke->ke_cgaaddr, &sd_a.sd_addr, 16);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 5);

	/* Room for one: C's key takes A's place, then A's takes C's. */
	bk->kc_max = 1;
	daemon_init(&sd_c, key_1536, get_clock_a);
	len = mk_na(pkt, &sd_c.sd_addr, &sd_c.sd_addr, &sd_c.sd_addr);
	len = sign_raw(&sd_c, pkt, len, T0, NULL);
	assert_int_equal(b_takes(len), SD_PASS);
	assert_int_equal(bk->kc_n, 1);
	assert_int_equal(bk->kc_misses, 2);
	assert_int_equal(bk->kc_evicted, 1);
	assert_int_equal(EVP_PKEY_eq(bk->kc_ent[0].ke_key, key_1536), 1);
	assert_int_equal(b_takes(a_na_signed_by(key_b, T0 + 5 * TS_SEC)),
	    SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SIG], 2);
	assert_int_equal(bk->kc_misses, 3);
	assert_int_equal(bk->kc_evicted, 2);
	assert_int_equal(EVP_PKEY_eq(bk->kc_ent[0].ke_key, key_a), 1);
	assert_int_equal(b_takes(a_na_at(T0 + 6 * TS_SEC)), SD_PASS);
	assert_int_equal(bk->kc_hits, 7);
	assert_int_equal(sd_b.sd_ctr[SD_IN_SECURED], 7);
	assert_int_equal(ctr_sum(&sd_b, "in."), 10);
	sd_fini(&sd_c);

	/* Alone, two entries: the one found longest ago goes. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(key_der(keys[i], &der[i], &derlen[i]), 0);
	}
	key_cache_init(&kc, 2);
	assert_null(key_cache_find(&kc, der[0], derlen[0]));
	assert_int_equal(kc.kc_misses, 0);
	assert_non_null(ka = key_cache_get(&kc, der[0], derlen[0]));
	assert_ptr_equal(key_cache_find(&kc, der[0], derlen[0]), ka);
	assert_int_equal(kc.kc_hits, 1);
	kc.kc_hits = 0;
	assert_int_equal(EVP_PKEY_eq(ka->ke_key, key_a), 1);
	snd_keyhash(der[0], derlen[0], hash);
	assert_memory_equal(ka->ke_hash, hash, sizeof(hash));
	assert_int_equal(key_ent_check(ka, 1024, 1024), 0);
	assert_int_equal(key_ent_check(ka, 1025, 4096), ERANGE);
	assert_int_equal(key_ent_check(ka, 512, 1023), ERANGE);
	assert_non_null(ke = key_cache_get(&kc, der[1], derlen[1]));
	assert_int_equal(EVP_PKEY_eq(ke->ke_key, key_b), 1);
	assert_ptr_equal(key_cache_get(&kc, der[0], derlen[0]), ka);
	assert_non_null(ke = key_cache_get(&kc, der[2], derlen[2]));
	assert_int_equal(EVP_PKEY_eq(ke->ke_key, key_1536), 1);
	assert_int_equal(kc.kc_evicted, 1);	/* B's, not A's */
	assert_ptr_equal(key_cache_get(&kc, der[0], derlen[0]), ka);
	assert_int_equal(kc.kc_hits, 2);
	assert_int_equal(kc.kc_misses, 3);
	assert_non_null(ke = key_cache_get(&kc, der[1], derlen[1]));
	assert_int_equal(EVP_PKEY_eq(ke->ke_key, key_b), 1);
	assert_int_equal(kc.kc_evicted, 2);	/* C's */
	assert_int_equal(kc.kc_misses, 4);
	assert_ptr_equal(key_cache_get(&kc, der[0], derlen[0]), ka);
	/* A prefix of a DER, or one with a byte more: not decoded. */
	assert_null(key_cache_get(&kc, der[0], derlen[0] - 1));
	assert_null(key_cache_get(&kc, der[1], 0));
	assert_int_equal(kc.kc_n, 2);
	assert_int_equal(kc.kc_evicted, 2);
	key_cache_fini(&kc);
	assert_int_equal(kc.kc_n, 0);
	key_cache_init(&kc, 0);
	assert_int_equal(kc.kc_max, KEY_CACHE_MAX);
	key_cache_init(&kc, KEY_CACHE_MAX + 1);
	assert_int_equal(kc.kc_max, KEY_CACHE_MAX);
	for (i = 0; i < 3; i++) {
		OPENSSL_free(der[i]);
	}
}

/* Malformed input, counted by reason. */
static void
test_input_malformed(void **state)
{
	size_t len;

	(void)state;
	len = a_na_at(T0);
	pkt[5] = (uint8_t)(pkt[5] + 8);		/* a payload length that lies */
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SHORT], 1);
	len = a_na_at(T0);
	pkt[6] = 0;
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_NOTND], 1);
	len = a_na_at(T0);
	pkt[IP6_HLEN + ND_FIXED_NA + 1] = 0;	/* the first option: 0 */
	assert_int_equal(b_takes(len), SD_DROP);
	pkt[IP6_HLEN + ND_FIXED_NA + 1] = 200;	/* past the end */
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_OPTLEN], 2);
	len = a_na_at(T0);
	memcpy(pkt + len, pkt + IP6_HLEN + ND_FIXED_NA + 8, 16);
	/* two Timestamp options, the second after the signature: fine */
	nd_fixup(pkt, len + 16);
	assert_int_equal(b_takes(len + 16), SD_PASS);
	len = mk_na(pkt, &sd_a.sd_addr, &sd_a.sd_addr, &sd_a.sd_addr);
	len = nd_add_timestamp(pkt, len, ROOM, (uint64_t)T0);
	len = sign_raw(&sd_a, pkt, len, T0 + TS_SEC, NULL);
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_DUPOPT], 1);
	assert_int_equal(b_takes(30), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_SHORT], 2);
	/* The CGA option's parameters, cut inside the key. */
	len = a_na_at(T0 + 2 * TS_SEC);
	{
		struct nd_msg m;

		assert_int_equal(nd_parse(pkt, len, &m), ND_OK);
		pkt[m.nm_cga + 2] = (uint8_t)(pkt[m.nm_cga + 2] + 64);
		nd_fixup(pkt, len);
	}
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CGA], 1);
	/* A checksum that is wrong. */
	len = a_na_at(T0 + 3 * TS_SEC);
	pkt[IP6_HLEN + 2] ^= 0x80;
	assert_int_equal(b_takes(len), SD_DROP);
	assert_int_equal(sd_b.sd_ctr[SD_IN_DROP_CKSUM], 1);
	assert_int_equal(ctr_sum(&sd_b, "in."), 9);
}

/*
 * Random damage to a signed message, a few thousand times: bytes
 * changed (lengths included), cut short, options copied over each
 * other.  Each ends in exactly one "in." counter.
 */
static void
test_fuzz(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, before;
	size_t len, n, out, i, k;
	unsigned int iter;
	int v;

	(void)state;
	len = a_na_at(T0);
	memcpy(pkt + len, "\x01\x01\xaa\xbb\xcc\xdd\xee\xff", 8);
	len += 8;
	nd_fixup(pkt, len);
	for (iter = 0; iter < 3000; iter++) {
		memcpy(pkt2, pkt, len);
		n = len;
		for (k = 0; k < 1 + iter % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			i = (size_t)(x % len);
			switch ((x >> 32) % 4) {
			case 0:
				pkt2[i] = (uint8_t)(x >> 40);
				break;
			case 1:
				n = i;
				break;
			case 2:
				/* An option length byte, in its range. */
				pkt2[IP6_HLEN + ND_FIXED_NA + 1 +
				    (i % 8) * 8] = (uint8_t)(x >> 48);
				break;
			default:
				pkt2[4] = (uint8_t)(x >> 44);
				pkt2[5] = (uint8_t)(x >> 52);
				break;
			}
		}
		/* Most with the checksum made right, to reach the rest. */
		if (iter % 4 != 0 && n >= IP6_HLEN + 4 &&
		    (size_t)(pkt2[4] << 8 | pkt2[5]) <= n - IP6_HLEN) {
			nd_fixup(pkt2, IP6_HLEN + (size_t)(pkt2[4] << 8 |
			    pkt2[5]));
		}
		before = ctr_sum(&sd_b, "in.");
		clock_b += TS_SEC / 8;
		v = sd_input(&sd_b, pkt2, n, IFIDX, &out);
		assert_true(v == SD_PASS || v == SD_DROP);
		assert_true(out <= n);
		assert_int_equal(ctr_sum(&sd_b, "in."), before + 1);
	}
	assert_true(sd_b.sd_ctr[SD_IN_DROP_OPTLEN] > 0);
	assert_true(sd_b.sd_ctr[SD_IN_DROP_SHORT] > 0);
	assert_true(sd_b.sd_ctr[SD_IN_DROP_SIG] > 0);
	assert_true(sd_b.sd_ctr[SD_IN_DROP_CKSUM] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cga_rfc_example),
		cmocka_unit_test(test_cga_verify_failures),
		cmocka_unit_test(test_cga_parse_lengths),
		cmocka_unit_test(test_cga_search),
		cmocka_unit_test(test_cga_sec2),
		cmocka_unit_test(test_cga_vectors),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_nd_parse),
		cmocka_unit_test(test_signed_octets),
		cmocka_unit_test_setup_teardown(test_sign_and_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_output_unsigned, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamps, setup,
		    teardown),
		cmocka_unit_test(test_ts_cache),
		cmocka_unit_test_setup_teardown(test_nonces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_signature, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_sizes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_input_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
