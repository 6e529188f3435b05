/* SPDX-License-Identifier: ISC */
/* endpoint.c: a KMS endpoint as Talos reads it, checked before any dial. */
#include <string.h>

#include "base/ascii.h"
#include "kms/kms.h"

/*
 * Talos (talos:internal/pkg/endpoint/endpoint.go, keys/kms.go):
 *   1. When the text holds no match of the unanchored regexp [a-zA-z]+://
 *      (A-z also spans [ \ ] ^ _ `), "grpc://" is put in front.
 *   2. Go's url.Parse; the scheme is lowercased; the path, query, fragment
 *      and user info are ignored: only the host matters.
 *   3. Scheme "grpc" is plaintext HTTP/2; every other scheme is TLS.
 *   4. "https" without a port gets ":443"; grpc-go's resolver gives any
 *      other endpoint without a port 443 too, and an empty host is
 *      "localhost".
 * Grammar accepted here (what the above dials; the rest would fail later
 * in Talos and is refused up front):
 *   endpoint  = [scheme "://"] authority [("/" | "?" | "#") anything]
 *   scheme    = ALPHA *(ALPHA | DIGIT | "+" | "-" | ".")
 *   authority = [userinfo "@"] host [":" port]
 *   host      = "[" (HEXDIG | ":" | ".")+ "]" | *(ALPHA | DIGIT | "-" | "." | "_")
 *   port      = 1*5DIGIT, 1..65535
 * No control characters anywhere (Go refuses them too).
 */

#define DEFAULT_PORT 443u

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The character class of Talos's regexp, [a-zA-z]: 'A'..'z' spans 'Z'+1..'a'-1. */
static int in_talos_scheme_class(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'z');
}

static int has_talos_scheme(const char *text)
{
	for (const char *p = strstr(text, "://"); p; p = strstr(p + 1, "://"))
		if (p > text && in_talos_scheme_class(p[-1]))
			return 1;
	return 0;
}

/* Length of the scheme at text, up to its "://", or 0 when there is none. */
static size_t scheme_len(const char *text)
{
	size_t i = 0;

	if (!is_alpha(text[0]))
		return 0;
	while (is_alpha(text[i]) || is_digit(text[i]) || strchr("+-.", text[i]))
		i++;
	return strncmp(text + i, "://", 3) == 0 ? i : 0;
}

static int is_host_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

static int is_ipv6_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
	       c == '.';
}

static int parse_port(const char *text, size_t len, unsigned *port)
{
	unsigned value = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(text[i]))
			return -1;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value == 0 || value > 65535)
		return -1;
	*port = value;
	return 0;
}

/* host[:port] of the authority (user info already cut) into ep. */
static int parse_hostport(const char *auth, size_t len, struct lv_kms_endpoint *ep,
			  const char **why)
{
	size_t host_len = len;
	const char *colon = NULL;

	if (len == 0) {
		*why = "no host";
		return -1;
	}
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', len);

		if (!close || close == auth + 1) {
			*why = "an IPv6 address needs its closing ']'";
			return -1;
		}
		for (const char *p = auth + 1; p < close; p++)
			if (!is_ipv6_char(*p)) {
				*why = "bad character in the IPv6 address";
				return -1;
			}
		host_len = (size_t)(close - auth) + 1;
		if (host_len < len) {
			if (auth[host_len] != ':') {
				*why = "junk after the IPv6 address";
				return -1;
			}
			colon = auth + host_len;
		}
	} else {
		colon = memchr(auth, ':', len);
		host_len = colon ? (size_t)(colon - auth) : len;
		for (size_t i = 0; i < host_len; i++)
			if (!is_host_char(auth[i])) {
				*why = "bad character in the host name";
				return -1;
			}
	}
	ep->port = DEFAULT_PORT;
	if (colon && parse_port(colon + 1, (size_t)(auth + len - colon - 1), &ep->port) < 0) {
		*why = "the port is not a number from 1 to 65535";
		return -1;
	}
	if (host_len == 0) {
		strcpy(ep->host, "localhost");
		return 0;
	}
	if (host_len > LV_KMS_HOST_MAX) {
		*why = "the host name is too long";
		return -1;
	}
	memcpy(ep->host, auth, host_len);
	ep->host[host_len] = '\0';
	return 0;
}

int lv_kms_endpoint_parse(const char *text, struct lv_kms_endpoint *ep, struct lv_err *err)
{
	const char *why = NULL, *auth, *end, *at;
	size_t slen;

	memset(ep, 0, sizeof(*ep));
	if (!text || !text[0])
		return lv_err_set(err, -EINVAL, "bad endpoint: empty");
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return lv_err_set(err, -EINVAL, "bad endpoint: control character");
	if (has_talos_scheme(text)) {
		slen = scheme_len(text);
		if (slen == 0)
			return lv_err_set(err, -EINVAL,
					  "bad endpoint: no host (not scheme://host:port)");
		ep->tls = !(slen == 4 && lv_ascii_ncaseeq(text, "grpc", 4));
		auth = text + slen + 3;
	} else {
		ep->tls = 0;
		auth = text;
	}
	end = auth + strcspn(auth, "/?#");
	at = memrchr(auth, '@', (size_t)(end - auth));
	if (at)
		auth = at + 1;
	if (parse_hostport(auth, (size_t)(end - auth), ep, &why) < 0)
		return lv_err_set(err, -EINVAL, "bad endpoint: %s", why);
	return 0;
}
