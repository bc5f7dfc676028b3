/*
 * sendd: the RSA Signature option's signature (RFC 3971 5.2), the
 * Timestamp option's checks (5.3.4) and the Nonce option's caches
 * (5.3.2).
 *
 * What is signed.  RFC 3971 5.2 signs the CGA message-type tag, the
 * source and destination addresses, the ICMPv6 type, code and checksum,
 * the rest of the ND header and every option before the RSA Signature
 * option.  The checksum is circular (it covers the signature), so the
 * checksum signed is that of the message cut just before the RSA
 * Signature option, with the payload length of that cut message, as
 * DoCoMo's sendd, NDprotector and veripy do: what a receiver recomputes
 * without the signature.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "sendd.h"

const uint8_t snd_msgtag[16] = {
	0x08, 0x6f, 0xca, 0x5e, 0x10, 0xb2, 0x00, 0xc9,
	0x9c, 0x8c, 0xe0, 0x01, 0x64, 0x27, 0x7c, 0x08
};

/*
 * The octets signed for the message @pkt cut at @cut (the offset of its
 * RSA Signature option, or its end): tag, source, destination, then the
 * ICMPv6 message up to @cut with the checksum the cut message has.
 */
int
snd_signed_octets(const uint8_t *pkt, size_t cut, uint8_t *out, size_t cap,
    size_t *lenp)
{
	size_t icmplen, n;
	uint16_t sum;

	if (cut < IP6_HLEN + 4) {
		return EINVAL;
	}
	icmplen = cut - IP6_HLEN;
	n = sizeof(snd_msgtag) + 32 + icmplen;
	if (n > cap) {
		return EMSGSIZE;
	}
	memcpy(out, snd_msgtag, sizeof(snd_msgtag));
	memcpy(out + 16, pkt + 8, 32);
	memcpy(out + 48, pkt + IP6_HLEN, icmplen);
	sum = nd_cksum(pkt, cut);
	out[48 + 2] = (uint8_t)(sum >> 8);
	out[48 + 3] = (uint8_t)sum;
	*lenp = n;
	return 0;
}

/* The leftmost 128 bits of SHA-1 of the DER public key. */
void
snd_keyhash(const uint8_t *der, size_t len, uint8_t out[16])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(der, len, md, &n, EVP_sha1(), NULL) != 1 || n < 16) {
		memset(out, 0, 16);
		return;
	}
	memcpy(out, md, 16);
}

/*
 * RSASSA-PKCS1-v1_5 with SHA-1 (RFC 3971 5.2): the digest made apart,
 * then signed or verified with a context set up once for the key, as
 * EVP_DigestSign() and EVP_DigestVerify() would do it (the same
 * DigestInfo, the same signature) without setting a context up again
 * for each message.  NULL when @key cannot do it (not RSA, no memory).
 */
EVP_PKEY_CTX *
snd_ctx(EVP_PKEY *key, int sign)
{
	EVP_PKEY_CTX *ctx;

	if (key == NULL || (ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL) {
		return NULL;
	}
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) !=
	    1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
snd_sign_ctx(EVP_PKEY_CTX *ctx, EVP_MD_CTX *md, const uint8_t *data,
    size_t len, uint8_t *sig, size_t cap, size_t *siglenp)
{
	uint8_t digest[20];
	size_t n = cap;

	if ((size_t)EVP_PKEY_get_size(EVP_PKEY_CTX_get0_pkey(ctx)) > cap) {
		return EMSGSIZE;
	}
	if (sha1_buf(md, data, len, digest) != 0) {
		return ENOMEM;
	}
	if (EVP_PKEY_sign(ctx, sig, &n, digest, sizeof(digest)) != 1) {
		return EINVAL;
	}
	*siglenp = n;
	return 0;
}

/* 0 when @sig is the signature of @data by the key of @ctx. */
int
snd_verify_ctx(EVP_PKEY_CTX *ctx, EVP_MD_CTX *md, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t digest[20];

	if (sha1_buf(md, data, len, digest) != 0) {
		return ENOMEM;
	}
	if (EVP_PKEY_verify(ctx, sig, siglen, digest, sizeof(digest)) != 1) {
		return EBADMSG;
	}
	return 0;
}

/* The same, a context made for the call. */
int
snd_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t *sig,
    size_t cap, size_t *siglenp)
{
	EVP_PKEY_CTX *ctx;
	int error;

	if ((ctx = snd_ctx(key, 1)) == NULL) {
		return EINVAL;
	}
	error = snd_sign_ctx(ctx, NULL, data, len, sig, cap, siglenp);
	EVP_PKEY_CTX_free(ctx);
	return error;
}

int
snd_verify(EVP_PKEY *pub, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int error;

	if ((ctx = snd_ctx(pub, 0)) == NULL) {
		return EBADMSG;
	}
	error = snd_verify_ctx(ctx, NULL, data, len, sig, siglen);
	EVP_PKEY_CTX_free(ctx);
	return error;
}

/* Now, as a Timestamp option carries it. */
int64_t
ts_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TS_SEC +
	    (int64_t)ts.tv_nsec * TS_SEC / 1000000000;
}

static const struct ts_ent *
ts_find(const struct ts_cache *tc, const struct in6_addr *addr, int ifidx)
{
	size_t i;

	for (i = 0; i < tc->tc_n; i++) {
		if (tc->tc_ent[i].te_ifidx == ifidx &&
		    memcmp(&tc->tc_ent[i].te_addr, addr, sizeof(*addr)) == 0) {
			return &tc->tc_ent[i];
		}
	}
	return NULL;
}

/*
 * RFC 3971 5.3.4.2.  A peer with no history (or one older than
 * TS_LIFETIME, forgotten) must be within Delta of our clock:
 * -Delta < RDnew - TSnew < +Delta.  A peer with a history must not go
 * back further than its drift allows:
 * TSnew + fuzz > TSlast + (RDnew - RDlast) x (1 - drift) - fuzz.
 */
int
ts_check(const struct ts_cache *tc, const struct in6_addr *addr, int ifidx,
    int64_t tsnew, int64_t rdnew)
{
	const struct ts_ent *te;
	int64_t elapsed;

	te = ts_find(tc, addr, ifidx);
	if (te == NULL || rdnew - te->te_rdlast > TS_LIFETIME) {
		if (rdnew - tsnew >= TS_DELTA || tsnew - rdnew >= TS_DELTA) {
			return TS_EWINDOW;
		}
		return TS_OK;
	}
	elapsed = rdnew - te->te_rdlast;
	if (tsnew + TS_FUZZ <= te->te_tslast +
	    elapsed * (100 - TS_DRIFT_PCT) / 100 - TS_FUZZ) {
		return TS_EREPLAY;
	}
	return TS_OK;
}

/*
 * After a message is accepted: a new peer is remembered (when the table
 * is full, in place of the one heard from longest ago); a known one's
 * RDlast and TSlast move on when TSnew is later than TSlast.
 */
void
ts_update(struct ts_cache *tc, const struct in6_addr *addr, int ifidx,
    int64_t tsnew, int64_t rdnew)
{
	struct ts_ent *te;
	size_t i;

	te = (struct ts_ent *)(uintptr_t)ts_find(tc, addr, ifidx);
	if (te != NULL && rdnew - te->te_rdlast <= TS_LIFETIME) {
		if (tsnew > te->te_tslast) {
			te->te_tslast = tsnew;
			te->te_rdlast = rdnew;
		}
		return;
	}
	if (te == NULL) {
		if (tc->tc_n < TS_CACHE_MAX) {
			te = &tc->tc_ent[tc->tc_n++];
		} else {
			te = &tc->tc_ent[0];
			for (i = 1; i < tc->tc_n; i++) {
				if (tc->tc_ent[i].te_rdlast < te->te_rdlast) {
					te = &tc->tc_ent[i];
				}
			}
		}
	}
	te->te_addr = *addr;
	te->te_ifidx = ifidx;
	te->te_tslast = tsnew;
	te->te_rdlast = rdnew;
}

/* A secured message from @addr was accepted within TS_LIFETIME. */
int
ts_known(const struct ts_cache *tc, const struct in6_addr *addr, int ifidx,
    int64_t now)
{
	const struct ts_ent *te = ts_find(tc, addr, ifidx);

	return te != NULL && now - te->te_rdlast <= TS_LIFETIME;
}

void
nonce_add(struct nonce_cache *nc, const struct in6_addr *peer,
    const struct in6_addr *target, int ifidx, const uint8_t *nonce,
    size_t len, int64_t now)
{
	struct nonce_ent *ne = &nc->nc_ent[nc->nc_next];

	if (len > NONCE_MAX) {
		return;
	}
	nc->nc_next = (nc->nc_next + 1) % NONCE_CACHE_MAX;
	memset(ne, 0, sizeof(*ne));
	ne->ne_peer = *peer;
	ne->ne_target = *target;
	ne->ne_ifidx = ifidx;
	ne->ne_expire = now + NONCE_LIFETIME;
	ne->ne_len = len;
	memcpy(ne->ne_nonce, nonce, len);
}

/* A live nonce of ours for @target on @ifidx is @nonce. */
int
nonce_match(const struct nonce_cache *nc, const struct in6_addr *target,
    int ifidx, const uint8_t *nonce, size_t len, int64_t now)
{
	const struct nonce_ent *ne;
	size_t i;

	for (i = 0; i < NONCE_CACHE_MAX; i++) {
		ne = &nc->nc_ent[i];
		if (ne->ne_len == len && ne->ne_expire > now &&
		    ne->ne_ifidx == ifidx &&
		    memcmp(&ne->ne_target, target, sizeof(*target)) == 0 &&
		    memcmp(ne->ne_nonce, nonce, len) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The latest live nonce @peer sent for @target on @ifidx, or NULL. */
const struct nonce_ent *
nonce_find(const struct nonce_cache *nc, const struct in6_addr *peer,
    const struct in6_addr *target, int ifidx, int64_t now)
{
	const struct nonce_ent *ne, *best = NULL;
	size_t i;

	for (i = 0; i < NONCE_CACHE_MAX; i++) {
		ne = &nc->nc_ent[i];
		if (ne->ne_len != 0 && ne->ne_expire > now &&
		    ne->ne_ifidx == ifidx &&
		    memcmp(&ne->ne_peer, peer, sizeof(*peer)) == 0 &&
		    memcmp(&ne->ne_target, target, sizeof(*target)) == 0 &&
		    (best == NULL || ne->ne_expire > best->ne_expire)) {
			best = ne;
		}
	}
	return best;
}
