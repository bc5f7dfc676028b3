/*
 * sendd: what is done to each Neighbor Discovery message.
 *
 * Out (SND_OUT): an NS, NA, RS, RA or Redirect whose source is our CGA
 * (or, for the NS of Duplicate Address Detection, whose source is
 * unspecified and whose target is our CGA) gets a CGA option, a
 * Timestamp option, a Nonce option when it is a solicitation (the one
 * it has, as Linux's DAD NS do, RFC 7527, or a new one) or answers one
 * (the solicitation's, echoed), and last the RSA Signature option;
 * then its payload length and checksum are set again.  Other messages
 * go out as they are.
 *
 * In (SND_IN): a message must be ND (RFC 4861: hop limit 255, lengths
 * that hold, its checksum right).  One with a CGA option and an RSA
 * Signature option is secured, and must verify: the CGA of its source
 * (of its target for a DAD NS, RFC 3971 5.1.2; an NA's target must be
 * its source), the key's size and hash, the signature, a
 * Timestamp within the window or the peer's history, a Nonce in a
 * solicitation, and in an advertisement that has one, one of ours.  Any
 * failure drops it.  Options after the signature are cut off before it
 * goes on (5.2.2: ignored).  A message without both options is
 * unsecured (a Nonce alone included, as in Linux's DAD): by default it
 * goes on (mixed mode, RFC 3971 8) unless it speaks for an address a
 * secured message came from lately, which it may not overwrite;
 * sd_secure_only drops them all.  Router authorization (certificates)
 * is not done: a signed RA proves its sender holds its source CGA.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sendd.h"

static const struct in6_addr all_routers = {
	.s6_addr = { 0xff, 0x02, [15] = 0x02 }
};

static int
in6_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static const struct in6_addr *
pkt_src(const uint8_t *pkt)
{
	return (const struct in6_addr *)(const void *)(pkt + 8);
}

static const struct in6_addr *
pkt_dst(const uint8_t *pkt)
{
	return (const struct in6_addr *)(const void *)(pkt + 24);
}

/*
 * Our CGA is that of @params with @sec; @key (ours, private) stays the
 * caller's.  Peers' keys must have KEY_BITS_MIN to KEY_BITS_MAX bits.
 */
int
sd_init(struct sendd *sd, EVP_PKEY *key, const uint8_t *params,
    size_t paramslen, unsigned int sec, int ifidx)
{
	struct cga_params cp;
	int error;

	memset(sd, 0, sizeof(*sd));
	if (paramslen > sizeof(sd->sd_params)) {
		return EMSGSIZE;
	}
	if ((error = cga_parse(params, paramslen, &cp)) != CGA_OK ||
	    (error = cga_address(&cp, sec, &sd->sd_addr)) != CGA_OK) {
		return EINVAL;
	}
	memcpy(sd->sd_params, params, paramslen);
	sd->sd_paramslen = paramslen;
	snd_keyhash(cp.cp_key, cp.cp_keylen, sd->sd_keyhash);
	sd->sd_key = key;
	sd->sd_ifidx = ifidx;
	sd->sd_minbits = KEY_BITS_MIN;
	sd->sd_maxbits = KEY_BITS_MAX;
	sd->sd_clock = ts_now;
	key_cache_init(&sd->sd_keys, KEY_CACHE_MAX);
	return 0;
}

/*
 * Frees the contexts and the peers' keys sd_output() and sd_input()
 * made; the key stays the caller's.
 */
void
sd_fini(struct sendd *sd)
{
	key_cache_fini(&sd->sd_keys);
	EVP_PKEY_CTX_free(sd->sd_sctx);
	EVP_MD_CTX_free(sd->sd_md);
	memset(sd, 0, sizeof(*sd));
}

/*
 * The context that signs with sd_key, made on first use (and again if
 * sd_key was changed); NULL when it cannot be made.  The digest context
 * is made with it; without one, each digest makes its own.
 */
static EVP_PKEY_CTX *
sd_signer(struct sendd *sd)
{
	if (sd->sd_sctx != NULL &&
	    EVP_PKEY_CTX_get0_pkey(sd->sd_sctx) != sd->sd_key) {
		EVP_PKEY_CTX_free(sd->sd_sctx);
		sd->sd_sctx = NULL;
	}
	if (sd->sd_sctx == NULL) {
		sd->sd_sctx = snd_ctx(sd->sd_key, 1);
	}
	if (sd->sd_md == NULL) {
		sd->sd_md = EVP_MD_CTX_new();
	}
	return sd->sd_sctx;
}

/* The counter of a message nd_parse() refused, in or out. */
static int
parse_drop(int out, int error)
{
	switch (error) {
	case ND_ESHORT:
		return out ? SD_OUT_DROP_SHORT : SD_IN_DROP_SHORT;
	case ND_ENOTND:
		return out ? SD_OUT_DROP_NOTND : SD_IN_DROP_NOTND;
	case ND_EDUPOPT:
		return out ? SD_OUT_DROP_OPTLEN : SD_IN_DROP_DUPOPT;
	default:
		return out ? SD_OUT_DROP_OPTLEN : SD_IN_DROP_OPTLEN;
	}
}

/* Signs the message in place; answers SD_PASS or SD_DROP. */
int
sd_output(struct sendd *sd, uint8_t *pkt, size_t len, size_t cap,
    int ifidx, size_t *lenp)
{
	uint8_t sig[KEY_BITS_MAX / 8], nonce[NONCE_LEN];
	const struct in6_addr *who, *target, *peer;
	const struct nonce_ent *ne;
	struct nd_msg m;
	size_t n, dlen, siglen;
	int64_t now;
	int error;

	*lenp = len;
	if ((error = nd_parse(pkt, len, &m)) != ND_OK) {
		sd->sd_ctr[parse_drop(1, error)]++;
		return SD_DROP;
	}
	len = *lenp = m.nm_len;
	/* Whose key signs: the source's, or a DAD NS's target's. */
	target = nd_target(&m);
	who = pkt_src(pkt);
	if (in6_unspec(pkt + 8)) {
		who = m.nm_type == ND_TYPE_NS ? target : NULL;
	}
	if (who == NULL || ifidx != sd->sd_ifidx ||
	    memcmp(who, &sd->sd_addr, sizeof(*who)) != 0 ||
	    m.nm_cga != 0 || m.nm_ts != 0 || m.nm_sig != 0) {
		sd->sd_ctr[SD_OUT_UNSIGNED]++;
		return SD_PASS;
	}
	now = sd->sd_clock();
	n = nd_add_cga(pkt, len, cap, sd->sd_params, sd->sd_paramslen);
	if (n != 0) {
		n = nd_add_timestamp(pkt, n, cap, (uint64_t)now);
	}
	switch (m.nm_type) {
	case ND_TYPE_NS:
	case ND_TYPE_RS:
		if (m.nm_type == ND_TYPE_RS) {
			target = &all_routers;
		}
		if (m.nm_nonce != 0) {
			/* Linux's own, in a DAD NS: keep it, remember it. */
			nonce_add(&sd->sd_nonce_out, &in6addr_any, target,
			    ifidx, pkt + m.nm_nonce + 2,
			    (size_t)pkt[m.nm_nonce + 1] * 8 - 2, now);
			break;
		}
		if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
			sd->sd_ctr[SD_OUT_DROP_SIGN]++;
			return SD_DROP;
		}
		nonce_add(&sd->sd_nonce_out, &in6addr_any, target, ifidx,
		    nonce, sizeof(nonce), now);
		if (n != 0) {
			n = nd_add_nonce(pkt, n, cap, nonce, sizeof(nonce));
		}
		break;
	case ND_TYPE_NA:
	case ND_TYPE_RA:
		if (m.nm_nonce != 0) {
			break;
		}
		/* An answer to a solicitation: echo its nonce. */
		peer = pkt_dst(pkt);
		if (pkt[24] == 0xff) {
			/* To all nodes: the answer to a DAD NS. */
			peer = &in6addr_any;
		}
		if (m.nm_type == ND_TYPE_RA) {
			target = &all_routers;
		}
		ne = nonce_find(&sd->sd_nonce_in, peer, target, ifidx, now);
		if (ne != NULL && n != 0) {
			n = nd_add_nonce(pkt, n, cap, ne->ne_nonce,
			    ne->ne_len);
		}
		break;
	default:
		break;
	}
	if (n == 0 || n > SND_SNDBUF) {
		sd->sd_ctr[SD_OUT_DROP_TOOBIG]++;
		return SD_DROP;
	}
	if (snd_signed_octets(pkt, n, sd->sd_data, sizeof(sd->sd_data),
	    &dlen) != 0 || sd_signer(sd) == NULL ||
	    snd_sign_ctx(sd->sd_sctx, sd->sd_md, sd->sd_data, dlen, sig,
	    sizeof(sig), &siglen) != 0) {
		sd->sd_ctr[SD_OUT_DROP_SIGN]++;
		return SD_DROP;
	}
	n = nd_add_sig(pkt, n, cap, sd->sd_keyhash, sig, siglen);
	if (n == 0 || n > SND_SNDBUF) {
		sd->sd_ctr[SD_OUT_DROP_TOOBIG]++;
		return SD_DROP;
	}
	nd_fixup(pkt, n);
	*lenp = n;
	sd->sd_ctr[SD_OUT_SIGNED]++;
	return SD_PASS;
}

/*
 * An unsecured message: passes in mixed mode, unless it speaks for an
 * address a secured message came from (an NA for its target, the others
 * for their source), whose neighbour cache entry it may not overwrite.
 */
static int
sd_unsecured(struct sendd *sd, const struct nd_msg *m, int ifidx)
{
	const struct in6_addr *claim;

	if (sd->sd_secure_only) {
		sd->sd_ctr[SD_IN_DROP_UNSECURED]++;
		return SD_DROP;
	}
	claim = m->nm_type == ND_TYPE_NA ? nd_target(m) : pkt_src(m->nm_pkt);
	if (!in6_unspec(claim->s6_addr) &&
	    ts_known(&sd->sd_ts, claim, ifidx, sd->sd_clock())) {
		sd->sd_ctr[SD_IN_DROP_SHADOWED]++;
		return SD_DROP;
	}
	sd->sd_ctr[SD_IN_UNSECURED]++;
	return SD_PASS;
}

/* Verifies the message; answers SD_PASS (maybe cut shorter) or SD_DROP. */
int
sd_input(struct sendd *sd, uint8_t *pkt, size_t len, int ifidx,
    size_t *lenp)
{
	const struct in6_addr *who, *target;
	const uint8_t *params, *sig;
	struct cga_params cp;
	struct nd_msg m;
	struct key_ent *ke;
	size_t plen, dlen, siglen, nlen;
	uint64_t tsraw;
	int64_t now;
	int error, i, solicited = 0, verdict = SD_DROP;

	*lenp = len;
	if ((error = nd_parse(pkt, len, &m)) != ND_OK) {
		sd->sd_ctr[parse_drop(0, error)]++;
		return SD_DROP;
	}
	len = *lenp = m.nm_len;
	if (pkt[7] != ND_HOPLIMIT) {
		sd->sd_ctr[SD_IN_DROP_HOPLIMIT]++;
		return SD_DROP;
	}
	/* Written back, it is not checked again: check it here. */
	if (nd_cksum(pkt, len) !=
	    ((uint16_t)pkt[IP6_HLEN + 2] << 8 | pkt[IP6_HLEN + 3])) {
		sd->sd_ctr[SD_IN_DROP_CKSUM]++;
		return SD_DROP;
	}
	/* Whose CGA: the source's; a DAD NS's target's; else none. */
	target = nd_target(&m);
	who = pkt_src(pkt);
	if (in6_unspec(pkt + 8)) {
		who = m.nm_type == ND_TYPE_NS ? target : NULL;
	}
	if (who == NULL || m.nm_cga == 0 || m.nm_sig == 0) {
		return sd_unsecured(sd, &m, ifidx);
	}
	/*
	 * The signature speaks for the source's CGA only: an NA for any
	 * other target is not secured by it (SeND does not protect proxy
	 * ND), and would let a node with a key of its own take another's
	 * address.
	 */
	if (m.nm_type == ND_TYPE_NA && memcmp(target, who, 16) != 0) {
		sd->sd_ctr[SD_IN_DROP_CGA]++;
		return SD_DROP;
	}

	/*
	 * The CGA, then its key.  A peer's key is decoded once, and the
	 * CGA it was last found right with is not hashed again; the key's
	 * bounds are checked every time.  A CGA that does not verify costs
	 * no decoding.
	 */
	(void)nd_cga_params(&m, &params, &plen);
	if (cga_parse(params, plen, &cp) != CGA_OK) {
		sd->sd_ctr[SD_IN_DROP_CGA]++;
		return SD_DROP;
	}
	ke = key_cache_find(&sd->sd_keys, cp.cp_key, cp.cp_keylen);
	if (ke == NULL || !key_cga_known(ke, who, params, plen)) {
		if (cga_verify(who, params, plen, 0, NULL) != CGA_OK) {
			sd->sd_ctr[SD_IN_DROP_CGA]++;
			return SD_DROP;
		}
		if (ke == NULL) {
			ke = key_cache_get(&sd->sd_keys, cp.cp_key,
			    cp.cp_keylen);
		}
		if (ke != NULL) {
			key_cga_remember(ke, who, params, plen);
		}
	}
	if (ke == NULL ||
	    key_ent_check(ke, sd->sd_minbits, sd->sd_maxbits) != 0) {
		sd->sd_ctr[SD_IN_DROP_KEY]++;
		goto out;
	}
	if (memcmp(pkt + m.nm_sig + 4, ke->ke_hash,
	    sizeof(ke->ke_hash)) != 0) {
		sd->sd_ctr[SD_IN_DROP_KEYHASH]++;
		goto out;
	}
	if (ke->ke_vctx == NULL) {
		ke->ke_vctx = snd_ctx(ke->ke_key, 0);
	}
	if (sd->sd_md == NULL) {
		sd->sd_md = EVP_MD_CTX_new();
	}
	/* The signature is as long as the modulus; padding follows. */
	sig = pkt + m.nm_sig + 20;
	siglen = (size_t)EVP_PKEY_get_size(ke->ke_key);
	if (siglen > m.nm_sigend - m.nm_sig - 20 || ke->ke_vctx == NULL ||
	    snd_signed_octets(pkt, m.nm_sig, sd->sd_data,
	    sizeof(sd->sd_data), &dlen) != 0 ||
	    snd_verify_ctx(ke->ke_vctx, sd->sd_md, sd->sd_data, dlen, sig,
	    siglen) != 0) {
		sd->sd_ctr[SD_IN_DROP_SIG]++;
		goto out;
	}

	/* Fresh: a timestamp, and the nonces. */
	if (m.nm_ts == 0) {
		sd->sd_ctr[SD_IN_DROP_TIMESTAMP]++;
		goto out;
	}
	tsraw = 0;
	for (i = 0; i < 8; i++) {
		tsraw = tsraw << 8 | pkt[m.nm_ts + 8 + i];
	}
	if (tsraw > (uint64_t)INT64_MAX / 4) {
		sd->sd_ctr[SD_IN_DROP_TIMESTAMP]++;
		goto out;
	}
	now = sd->sd_clock();
	nlen = m.nm_nonce != 0 ? (size_t)pkt[m.nm_nonce + 1] * 8 - 2 : 0;
	switch (m.nm_type) {
	case ND_TYPE_NS:
	case ND_TYPE_RS:
		if (m.nm_nonce == 0) {
			sd->sd_ctr[SD_IN_DROP_NONCE]++;
			goto out;
		}
		break;
	case ND_TYPE_NA:
	case ND_TYPE_RA:
		if (m.nm_nonce == 0) {
			break;
		}
		if (!nonce_match(&sd->sd_nonce_out, m.nm_type == ND_TYPE_NA ?
		    target : &all_routers, ifidx, pkt + m.nm_nonce + 2, nlen,
		    now)) {
			sd->sd_ctr[SD_IN_DROP_NONCE]++;
			goto out;
		}
		solicited = 1;
		break;
	default:
		break;
	}
	/*
	 * An advertisement answering our nonce is fresh by it: it goes on
	 * whatever its timestamp, which updates the history only when it
	 * passes.
	 */
	switch (ts_check(&sd->sd_ts, who, ifidx, (int64_t)tsraw, now)) {
	case TS_OK:
		ts_update(&sd->sd_ts, who, ifidx, (int64_t)tsraw, now);
		break;
	case TS_EWINDOW:
		if (!solicited) {
			sd->sd_ctr[SD_IN_DROP_TIMESTAMP]++;
			goto out;
		}
		break;
	default:
		if (!solicited) {
			sd->sd_ctr[SD_IN_DROP_REPLAY]++;
			goto out;
		}
		break;
	}
	if (m.nm_type == ND_TYPE_NS || m.nm_type == ND_TYPE_RS) {
		nonce_add(&sd->sd_nonce_in, pkt_src(pkt),
		    m.nm_type == ND_TYPE_NS ? target : &all_routers, ifidx,
		    pkt + m.nm_nonce + 2, nlen, now);
	}
	if (m.nm_sigend < len) {
		len = *lenp = m.nm_sigend;
		nd_fixup(pkt, len);
	}
	sd->sd_ctr[SD_IN_SECURED]++;
	verdict = SD_PASS;
out:
	return verdict;
}
