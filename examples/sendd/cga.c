/*
 * sendd: Cryptographically Generated Addresses (RFC 3972), and the RSA
 * keys they are made of.
 *
 * The CGA Parameters are the bytes RFC 3972 section 3 lays out (modifier,
 * subnet prefix, collision count, the DER SubjectPublicKeyInfo of the
 * key, extension fields): what the CGA option carries and what `sendd
 * cga` prints and reads.  Hash1 is SHA-1 of all of them, Hash2 SHA-1 of
 * the modifier, nine zero bytes, the key and the extension fields.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sendd.h"

static const char *const cga_errors[CGA_ERRORS] = {
	[CGA_OK] = "verified",
	[CGA_ESHORT] = "parameters shorter than their fields",
	[CGA_EDER] = "public key is not one DER structure",
	[CGA_EEXT] = "extension fields do not parse",
	[CGA_ECOUNT] = "collision count above 2",
	[CGA_EPREFIX] = "subnet prefix differs from the address",
	[CGA_EHASH1] = "interface identifier is not Hash1",
	[CGA_EHASH2] = "Hash2 lacks the zero bits Sec asks for",
	[CGA_ESEC] = "Sec lower than required",
	[CGA_ESEARCH] = "modifier search gave up",
	[CGA_ENOMEM] = "out of memory",
};

const char *
cga_strerror(int error)
{
	if (error < 0 || error >= CGA_ERRORS) {
		return "unknown error";
	}
	return cga_errors[error];
}

/*
 * The length of the DER structure (tag, length, contents) at @p: a
 * SEQUENCE with a definite length of at most three length bytes, all of
 * it inside @len.  0 when it is not one.
 */
static size_t
der_seq_len(const uint8_t *p, size_t len)
{
	size_t hdr, body, i, n;

	if (len < 2 || p[0] != 0x30) {
		return 0;
	}
	if (p[1] < 0x80) {
		hdr = 2;
		body = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 3 || len < 2 + n) {
			return 0;
		}
		hdr = 2 + n;
		body = 0;
		for (i = 0; i < n; i++) {
			body = body << 8 | p[2 + i];
		}
	}
	if (body > len - hdr) {
		return 0;
	}
	return hdr + body;
}

int
cga_parse(const uint8_t *buf, size_t len, struct cga_params *cp)
{
	size_t keylen, off, elen;

	memset(cp, 0, sizeof(*cp));
	if (len < CGA_KEY_OFF + 2) {
		return CGA_ESHORT;
	}
	if ((keylen = der_seq_len(buf + CGA_KEY_OFF, len - CGA_KEY_OFF)) ==
	    0) {
		return CGA_EDER;
	}
	/* Extension fields (RFC 4581): type and length, 16 bits each. */
	for (off = CGA_KEY_OFF + keylen; off < len; off += 4 + elen) {
		if (len - off < 4) {
			return CGA_EEXT;
		}
		elen = (size_t)buf[off + 2] << 8 | buf[off + 3];
		if (elen > len - off - 4) {
			return CGA_EEXT;
		}
	}
	cp->cp_buf = buf;
	cp->cp_len = len;
	cp->cp_key = buf + CGA_KEY_OFF;
	cp->cp_keylen = keylen;
	cp->cp_extlen = len - CGA_KEY_OFF - keylen;
	cp->cp_cc = buf[CGA_CC_OFF];
	if (cp->cp_cc > CGA_CC_MAX) {
		return CGA_ECOUNT;
	}
	return CGA_OK;
}

int
cga_build(uint8_t *buf, size_t cap, size_t *lenp,
    const uint8_t mod[CGA_MOD_LEN], const uint8_t prefix[CGA_PREFIX_LEN],
    unsigned int cc, const uint8_t *key, size_t keylen)
{
	struct cga_params cp;
	int error;

	if (cc > CGA_CC_MAX) {
		return CGA_ECOUNT;
	}
	if (keylen > cap || CGA_KEY_OFF > cap - keylen) {
		return CGA_ESHORT;
	}
	memcpy(buf, mod, CGA_MOD_LEN);
	memcpy(buf + CGA_PREFIX_OFF, prefix, CGA_PREFIX_LEN);
	buf[CGA_CC_OFF] = (uint8_t)cc;
	memcpy(buf + CGA_KEY_OFF, key, keylen);
	*lenp = CGA_KEY_OFF + keylen;
	/* The key must be exactly one DER structure, nothing after it. */
	if ((error = cga_parse(buf, *lenp, &cp)) != CGA_OK) {
		return error;
	}
	return cp.cp_extlen == 0 ? CGA_OK : CGA_EDER;
}

/* SHA-1, fetched once: the modifier search makes millions of hashes. */
static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void
sha1_fetch(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* SHA-1 over @cnt pieces, in @ctx (one made for the call if NULL). */
static int
sha1_iov(EVP_MD_CTX *ctx, const uint8_t *p[], const size_t n[], size_t cnt,
    uint8_t out[20])
{
	EVP_MD_CTX *mine = NULL;
	int error = CGA_ENOMEM;
	size_t i;

	(void)pthread_once(&sha1_once, sha1_fetch);
	if (sha1_md == NULL) {
		return CGA_ENOMEM;
	}
	if (ctx == NULL && (ctx = mine = EVP_MD_CTX_new()) == NULL) {
		return CGA_ENOMEM;
	}
	if (EVP_DigestInit_ex2(ctx, sha1_md, NULL) != 1) {
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if (EVP_DigestUpdate(ctx, p[i], n[i]) != 1) {
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, NULL) == 1) {
		error = CGA_OK;
	}
out:
	EVP_MD_CTX_free(mine);
	return error;
}

int
sha1_buf(EVP_MD_CTX *ctx, const uint8_t *p, size_t len, uint8_t out[20])
{
	const uint8_t *pp[1] = { p };
	const size_t nn[1] = { len };

	return sha1_iov(ctx, pp, nn, 1, out) == CGA_OK ? 0 : ENOMEM;
}

static int
hash2_ctx(EVP_MD_CTX *ctx, const uint8_t mod[CGA_MOD_LEN],
    const uint8_t *key, size_t keylen, const uint8_t *ext, size_t extlen,
    uint8_t out[CGA_HASH2_LEN])
{
	static const uint8_t zero[9];
	const uint8_t *p[4] = { mod, zero, key, ext };
	const size_t n[4] = { CGA_MOD_LEN, sizeof(zero), keylen, extlen };
	uint8_t md[20];
	int error;

	if ((error = sha1_iov(ctx, p, n, extlen > 0 ? 4 : 3, md)) != CGA_OK) {
		return error;
	}
	memcpy(out, md, CGA_HASH2_LEN);
	return CGA_OK;
}

int
cga_hash2(const uint8_t mod[CGA_MOD_LEN], const uint8_t *key,
    size_t keylen, const uint8_t *ext, size_t extlen,
    uint8_t out[CGA_HASH2_LEN])
{
	return hash2_ctx(NULL, mod, key, keylen, ext, extlen, out);
}

/* The leftmost 16 x Sec bits of Hash2 are zero. */
int
cga_hash2_ok(const uint8_t hash2[CGA_HASH2_LEN], unsigned int sec)
{
	unsigned int i;

	for (i = 0; i < 2 * sec && i < CGA_HASH2_LEN; i++) {
		if (hash2[i] != 0) {
			return 0;
		}
	}
	return 1;
}

/* Hash1 with Sec in its 3 leftmost bits and the u and g bits cleared. */
static int
cga_iid(const struct cga_params *cp, unsigned int sec, uint8_t iid[8])
{
	const uint8_t *p[1] = { cp->cp_buf };
	const size_t n[1] = { cp->cp_len };
	uint8_t md[20];
	int error;

	if ((error = sha1_iov(NULL, p, n, 1, md)) != CGA_OK) {
		return error;
	}
	memcpy(iid, md, 8);
	iid[0] = (uint8_t)((iid[0] & 0x1c) | (sec << 5));
	return CGA_OK;
}

int
cga_address(const struct cga_params *cp, unsigned int sec,
    struct in6_addr *addr)
{
	int error;

	if (sec > CGA_SEC_MAX) {
		return CGA_ESEC;
	}
	memcpy(addr->s6_addr, cp->cp_buf + CGA_PREFIX_OFF, CGA_PREFIX_LEN);
	if ((error = cga_iid(cp, sec, addr->s6_addr + 8)) != CGA_OK) {
		return error;
	}
	return CGA_OK;
}

/* RFC 3972 section 5, steps 1 to 7; the u and g bits are not compared. */
int
cga_verify(const struct in6_addr *addr, const uint8_t *buf, size_t len,
    unsigned int minsec, unsigned int *secp)
{
	struct cga_params cp;
	uint8_t iid[8], hash2[CGA_HASH2_LEN];
	unsigned int sec;
	int error;

	if ((error = cga_parse(buf, len, &cp)) != CGA_OK) {
		return error;
	}
	if (memcmp(addr->s6_addr, buf + CGA_PREFIX_OFF, CGA_PREFIX_LEN) !=
	    0) {
		return CGA_EPREFIX;
	}
	sec = addr->s6_addr[8] >> 5;
	if ((error = cga_iid(&cp, sec, iid)) != CGA_OK) {
		return error;
	}
	if ((iid[0] & 0x1c) != (addr->s6_addr[8] & 0x1c) ||
	    memcmp(iid + 1, addr->s6_addr + 9, 7) != 0) {
		return CGA_EHASH1;
	}
	if (sec > 0) {
		error = cga_hash2(buf, cp.cp_key, cp.cp_keylen,
		    cp.cp_key + cp.cp_keylen, cp.cp_extlen, hash2);
		if (error != CGA_OK) {
			return error;
		}
		if (!cga_hash2_ok(hash2, sec)) {
			return CGA_EHASH2;
		}
	}
	if (secp != NULL) {
		*secp = sec;
	}
	return sec < minsec ? CGA_ESEC : CGA_OK;
}

/*
 * RFC 3972 section 4, steps 1 to 3: from the modifier given, add one
 * (a 128-bit big-endian integer) until Hash2 has its 16 x Sec zero bits,
 * at most @maxtries times (0: no bound).
 */
int
cga_search(const uint8_t *key, size_t keylen, unsigned int sec,
    uint8_t mod[CGA_MOD_LEN], uint64_t maxtries, uint64_t *triesp)
{
	uint8_t hash2[CGA_HASH2_LEN];
	EVP_MD_CTX *ctx;
	uint64_t tries;
	int error, i;

	if (sec > CGA_SEC_MAX) {
		return CGA_ESEC;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		return CGA_ENOMEM;
	}
	for (tries = 1;; tries++) {
		error = hash2_ctx(ctx, mod, key, keylen, NULL, 0, hash2);
		if (error != CGA_OK) {
			break;
		}
		if (cga_hash2_ok(hash2, sec)) {
			break;
		}
		if (maxtries != 0 && tries >= maxtries) {
			error = CGA_ESEARCH;
			break;
		}
		for (i = CGA_MOD_LEN - 1; i >= 0 && ++mod[i] == 0; i--) {
			continue;
		}
	}
	EVP_MD_CTX_free(ctx);
	if (triesp != NULL) {
		*triesp = tries;
	}
	return error;
}

/* Encrypted keys are refused, not prompted for. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * A private key (PKCS#1 or PKCS#8 PEM), else a public key (PEM
 * SubjectPublicKeyInfo): *@privp says which.  NULL when the file holds
 * neither.
 */
EVP_PKEY *
key_load(const char *path, int *privp)
{
	EVP_PKEY *key;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	*privp = key != NULL;
	if (key == NULL) {
		rewind(f);
		key = PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
	}
	fclose(f);
	return key;
}

/* The DER SubjectPublicKeyInfo of @key, malloc'ed (OPENSSL_free it). */
int
key_der(EVP_PKEY *key, uint8_t **derp, size_t *lenp)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_PUBKEY(key, &der)) <= 0) {
		return EINVAL;
	}
	*derp = der;
	*lenp = (size_t)n;
	return 0;
}

EVP_PKEY *
key_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *key;

	if (len > INT32_MAX) {
		return NULL;
	}
	key = d2i_PUBKEY(NULL, &p, (long)len);
	/* The whole of the DER, not a prefix of it. */
	if (key != NULL && p != der + len) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

void
key_cache_init(struct key_cache *kc, size_t max)
{
	memset(kc, 0, sizeof(*kc));
	kc->kc_max = max == 0 || max > KEY_CACHE_MAX ? KEY_CACHE_MAX : max;
}

static void
key_ent_clear(struct key_ent *ke)
{
	EVP_PKEY_CTX_free(ke->ke_vctx);
	EVP_PKEY_free(ke->ke_key);
	free(ke->ke_der);
	free(ke->ke_cga);
	memset(ke, 0, sizeof(*ke));
}

/*
 * The entry of the key whose DER is @der, or NULL.  The entry stays the
 * cache's, valid until the next key_cache_get() or key_cache_fini().
 */
struct key_ent *
key_cache_find(struct key_cache *kc, const uint8_t *der, size_t len)
{
	struct key_ent *ke;
	size_t i;

	for (i = 0; i < kc->kc_n; i++) {
		ke = &kc->kc_ent[i];
		if (ke->ke_derlen == len && memcmp(ke->ke_der, der, len) == 0) {
			ke->ke_used = ++kc->kc_tick;
			kc->kc_hits++;
			return ke;
		}
	}
	return NULL;
}

/* The same, decoded now if it is not there; NULL when it does not. */
struct key_ent *
key_cache_get(struct key_cache *kc, const uint8_t *der, size_t len)
{
	struct key_ent *ke;
	EVP_PKEY *key;
	uint8_t *copy;
	size_t i;

	if ((ke = key_cache_find(kc, der, len)) != NULL) {
		return ke;
	}
	kc->kc_misses++;
	if ((key = key_from_der(der, len)) == NULL) {
		return NULL;
	}
	if ((copy = malloc(len)) == NULL) {
		EVP_PKEY_free(key);
		return NULL;
	}
	memcpy(copy, der, len);
	if (kc->kc_n < kc->kc_max) {
		ke = &kc->kc_ent[kc->kc_n++];
	} else {
		ke = &kc->kc_ent[0];
		for (i = 1; i < kc->kc_n; i++) {
			if (kc->kc_ent[i].ke_used < ke->ke_used) {
				ke = &kc->kc_ent[i];
			}
		}
		key_ent_clear(ke);
		kc->kc_evicted++;
	}
	ke->ke_der = copy;
	ke->ke_derlen = len;
	ke->ke_key = key;
	ke->ke_base = EVP_PKEY_get_base_id(key);
	ke->ke_bits = EVP_PKEY_get_bits(key);
	snd_keyhash(der, len, ke->ke_hash);
	ke->ke_used = ++kc->kc_tick;
	return ke;
}

/* @addr with @params is the CGA key_cga_remember() last kept in @ke. */
int
key_cga_known(const struct key_ent *ke, const struct in6_addr *addr,
    const uint8_t *params, size_t len)
{
	return ke->ke_cga != NULL && ke->ke_cgalen == len &&
	    memcmp(&ke->ke_cgaaddr, addr, sizeof(*addr)) == 0 &&
	    memcmp(ke->ke_cga, params, len) == 0;
}

/*
 * Keeps @addr with @params, which cga_verify() has just found right, in
 * place of the CGA kept before (none when there is no memory).
 */
void
key_cga_remember(struct key_ent *ke, const struct in6_addr *addr,
    const uint8_t *params, size_t len)
{
	uint8_t *copy = NULL;

	if (len == ke->ke_cgalen && ke->ke_cga != NULL) {
		copy = ke->ke_cga;
	} else {
		free(ke->ke_cga);
		ke->ke_cga = NULL;
		if ((copy = malloc(len)) == NULL) {
			return;
		}
	}
	memcpy(copy, params, len);
	ke->ke_cga = copy;
	ke->ke_cgalen = len;
	ke->ke_cgaaddr = *addr;
}

void
key_cache_fini(struct key_cache *kc)
{
	size_t i;

	for (i = 0; i < kc->kc_n; i++) {
		key_ent_clear(&kc->kc_ent[i]);
	}
	memset(kc, 0, sizeof(*kc));
}

static int
check_bits(int base, int bits, int minbits, int maxbits)
{
	if (base != EVP_PKEY_RSA) {
		return EPROTONOSUPPORT;
	}
	if (bits < minbits || bits > maxbits) {
		return ERANGE;
	}
	return 0;
}

/* An RSA key (PKCS#1 v1.5 signing: not RSA-PSS) of the bits allowed. */
int
key_check(EVP_PKEY *key, int minbits, int maxbits)
{
	return check_bits(EVP_PKEY_get_base_id(key), EVP_PKEY_get_bits(key),
	    minbits, maxbits);
}

/* key_check() of a cached key, from what was found when it was decoded. */
int
key_ent_check(const struct key_ent *ke, int minbits, int maxbits)
{
	return check_bits(ke->ke_base, ke->ke_bits, minbits, maxbits);
}
