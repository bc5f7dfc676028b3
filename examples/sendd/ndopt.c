/*
 * sendd: Neighbor Discovery messages as the SeND socket gives them (the
 * IPv6 header first), their options, and the SeND options added to them.
 *
 * Every length in a message read is checked before it is used: the
 * payload length against the bytes read, each option's length against
 * what is left (an option of length 0 is an error, RFC 4861 4.6), the
 * SeND options' own lengths against their option.  A message that fails
 * is dropped by the caller, in the counter nd_parse() names.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "sendd.h"

const char *const sd_counter_name[SD_NCOUNTERS] = {
#define SD_NAME(e, name)	[SD_##e] = name,
	SD_COUNTERS(SD_NAME)
#undef SD_NAME
};

static size_t
nd_fixed_len(uint8_t type)
{
	switch (type) {
	case ND_TYPE_RS:
		return ND_FIXED_RS;
	case ND_TYPE_RA:
		return ND_FIXED_RA;
	case ND_TYPE_NS:
		return ND_FIXED_NS;
	case ND_TYPE_NA:
		return ND_FIXED_NA;
	case ND_TYPE_REDIRECT:
		return ND_FIXED_REDIRECT;
	default:
		return 0;
	}
}

int
nd_parse(uint8_t *pkt, size_t len, struct nd_msg *m)
{
	size_t fixed, off, olen, *slot;
	uint8_t type;

	memset(m, 0, sizeof(*m));
	if (len < IP6_HLEN || (pkt[0] >> 4) != 6) {
		return ND_ESHORT;
	}
	/* Bytes past the payload length are not the message's. */
	olen = (size_t)pkt[4] << 8 | pkt[5];
	if (olen > len - IP6_HLEN) {
		return ND_ESHORT;
	}
	len = IP6_HLEN + olen;
	if (pkt[6] != ICMP6_PROTO) {
		return ND_ENOTND;
	}
	if (len < IP6_HLEN + 4) {
		return ND_ESHORT;
	}
	type = pkt[IP6_HLEN];
	if ((fixed = nd_fixed_len(type)) == 0 || pkt[IP6_HLEN + 1] != 0) {
		return ND_ENOTND;
	}
	if (len - IP6_HLEN < fixed) {
		return ND_ESHORT;
	}
	m->nm_pkt = pkt;
	m->nm_len = len;
	m->nm_type = type;
	m->nm_optoff = IP6_HLEN + fixed;
	m->nm_sigend = len;
	for (off = m->nm_optoff; off < len; off += olen) {
		if (len - off < 2) {
			return ND_EOPTLEN;
		}
		olen = (size_t)pkt[off + 1] * 8;
		if (olen == 0 || olen > len - off) {
			return ND_EOPTLEN;
		}
		switch (pkt[off]) {
		case NDOPT_CGA:
			/* Type, length, pad length, reserved, parameters. */
			if (olen - 4 < pkt[off + 2]) {
				return ND_EOPTLEN;
			}
			slot = &m->nm_cga;
			break;
		case NDOPT_TIMESTAMP:
			if (olen != 16) {
				return ND_EOPTLEN;
			}
			slot = &m->nm_ts;
			break;
		case NDOPT_NONCE:
			/* At least 6 bytes of nonce: any length above 0 has. */
			slot = &m->nm_nonce;
			break;
		case NDOPT_RSASIG:
			/* Type, length, reserved, key hash, a signature. */
			if (olen < 24) {
				return ND_EOPTLEN;
			}
			m->nm_sig = off;
			m->nm_sigend = off + olen;
			return ND_OK;
		default:
			continue;
		}
		if (*slot != 0) {
			return ND_EDUPOPT;
		}
		*slot = off;
	}
	return ND_OK;
}

/* The Target Address of an NS, NA or Redirect; NULL for RS and RA. */
const struct in6_addr *
nd_target(const struct nd_msg *m)
{
	switch (m->nm_type) {
	case ND_TYPE_NS:
	case ND_TYPE_NA:
	case ND_TYPE_REDIRECT:
		return (const struct in6_addr *)(const void *)
		    (m->nm_pkt + IP6_HLEN + 8);
	default:
		return NULL;
	}
}

/* The CGA Parameters in the message's CGA option (which must be there). */
int
nd_cga_params(const struct nd_msg *m, const uint8_t **pp, size_t *lenp)
{
	const uint8_t *opt = m->nm_pkt + m->nm_cga;
	size_t olen = (size_t)opt[1] * 8;

	/* nd_parse() saw to it that the pad fits the option. */
	*pp = opt + 4;
	*lenp = olen - 4 - opt[2];
	return 0;
}

/*
 * The 16-bit big-endian words of @p added to @sum, not folded.  Eight
 * bytes at a time in the machine's byte order, as RFC 1071 (2) allows:
 * their 32-bit halves added up and folded to 16 bits are the sum of
 * their 16-bit words modulo 0xffff, as the checksum is, with its two
 * bytes swapped on a little-endian machine.
 */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i;

	for (i = 0; i + 7 < n; i += 8) {
		memcpy(&w, p + i, sizeof(w));
		acc += (w & 0xffffffff) + (w >> 32);
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = (acc >> 8 | acc << 8) & 0xffff;
#endif
	sum += (uint32_t)acc;
	for (; i + 1 < n; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n & 1) {
		sum += (uint32_t)p[n - 1] << 8;
	}
	return sum;
}

/*
 * The ICMPv6 checksum of the message in @pkt, @len bytes from the IPv6
 * header, as if its checksum field were zero and its payload length
 * @len - 40.
 */
uint16_t
nd_cksum(const uint8_t *pkt, size_t len)
{
	uint8_t ph[8];
	size_t plen = len - IP6_HLEN;
	uint32_t sum;

	ph[0] = (uint8_t)(plen >> 24);
	ph[1] = (uint8_t)(plen >> 16);
	ph[2] = (uint8_t)(plen >> 8);
	ph[3] = (uint8_t)plen;
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = ICMP6_PROTO;
	sum = sum16(0, pkt + 8, 32);		/* source, destination */
	sum = sum16(sum, ph, sizeof(ph));
	sum = sum16(sum, pkt + IP6_HLEN, 2);	/* type, code */
	sum = sum16(sum, pkt + IP6_HLEN + 4, plen - 4);
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

/* Sets the payload length and the checksum for @len bytes. */
void
nd_fixup(uint8_t *pkt, size_t len)
{
	uint16_t sum;

	pkt[4] = (uint8_t)((len - IP6_HLEN) >> 8);
	pkt[5] = (uint8_t)(len - IP6_HLEN);
	sum = nd_cksum(pkt, len);
	pkt[IP6_HLEN + 2] = (uint8_t)(sum >> 8);
	pkt[IP6_HLEN + 3] = (uint8_t)sum;
}

/*
 * Each nd_add_*() appends an option at @len and answers the new length,
 * or 0 when @cap has no room.  None changes the payload length or the
 * checksum: nd_fixup() does.
 */
size_t
nd_add_cga(uint8_t *pkt, size_t len, size_t cap, const uint8_t *params,
    size_t plen)
{
	size_t olen = (4 + plen + 7) / 8 * 8;

	if (olen > 255 * 8 || olen > cap || len > cap - olen) {
		return 0;
	}
	pkt[len] = NDOPT_CGA;
	pkt[len + 1] = (uint8_t)(olen / 8);
	pkt[len + 2] = (uint8_t)(olen - 4 - plen);	/* pad length */
	pkt[len + 3] = 0;
	memcpy(pkt + len + 4, params, plen);
	memset(pkt + len + 4 + plen, 0, olen - 4 - plen);
	return len + olen;
}

size_t
nd_add_timestamp(uint8_t *pkt, size_t len, size_t cap, uint64_t ts)
{
	int i;

	if (cap < 16 || len > cap - 16) {
		return 0;
	}
	pkt[len] = NDOPT_TIMESTAMP;
	pkt[len + 1] = 2;
	memset(pkt + len + 2, 0, 6);
	for (i = 0; i < 8; i++) {
		pkt[len + 8 + i] = (uint8_t)(ts >> (56 - 8 * i));
	}
	return len + 16;
}

/* @nlen + 2 must be a multiple of 8: the option has no padding. */
size_t
nd_add_nonce(uint8_t *pkt, size_t len, size_t cap, const uint8_t *nonce,
    size_t nlen)
{
	size_t olen = nlen + 2;

	if (nlen < 6 || olen % 8 != 0 || olen > 255 * 8 || olen > cap ||
	    len > cap - olen) {
		return 0;
	}
	pkt[len] = NDOPT_NONCE;
	pkt[len + 1] = (uint8_t)(olen / 8);
	memcpy(pkt + len + 2, nonce, nlen);
	return len + olen;
}

size_t
nd_add_sig(uint8_t *pkt, size_t len, size_t cap, const uint8_t keyhash[16],
    const uint8_t *sig, size_t siglen)
{
	size_t olen = (20 + siglen + 7) / 8 * 8;

	if (olen > 255 * 8 || olen > cap || len > cap - olen) {
		return 0;
	}
	pkt[len] = NDOPT_RSASIG;
	pkt[len + 1] = (uint8_t)(olen / 8);
	pkt[len + 2] = pkt[len + 3] = 0;
	memcpy(pkt + len + 4, keyhash, 16);
	memcpy(pkt + len + 20, sig, siglen);
	memset(pkt + len + 20 + siglen, 0, olen - 20 - siglen);
	return len + olen;
}
