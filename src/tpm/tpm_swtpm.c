/* SPDX-License-Identifier: ISC */
/*
 * tpm_swtpm.c: a client of swtpm's socket interface (what tss2's "swtpm"
 * TCTI speaks), every wait bounded by a deadline.
 *
 * Data channel: one connection per command, the command's bytes out, the
 * response back (its 10-byte header gives its size), then closed.
 * Control channel (port + 1, or PATH.ctrl): one connection per request, a
 * 4-byte command code and its payload out, a 4-byte result back; used
 * once, as tss2's driver does, to set locality 0.
 * The configuration is tss2's: "host=H,port=P" (localhost, 2321 when
 * left out) or "path=SOCKET".
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm_tcti.h"

#define SWTPM_DEFAULT_HOST "localhost"
#define SWTPM_DEFAULT_PORT 2321
#define SWTPM_CMD_SET_LOCALITY 0x05	/* swtpm's control command code */
#define TPM_HEADER_BYTES 10		/* tag, size, code */
#define TPM_RESPONSE_MAX 4096		/* TPM2_MAX_COMMAND_SIZE */

struct lv_swtpm {
	char host[256];
	unsigned port;			/* the data port; control is port + 1 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* "" for TCP */
	int sock;			/* the command under way, -1 */
	uint8_t header[TPM_HEADER_BYTES];
	uint32_t response_size;		/* from header, 0 until it is read */
};

uint64_t lv_tcti_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int lv_tcti_poll_ms(uint64_t deadline_ms)
{
	uint64_t now;

	if (!deadline_ms)
		return -1;
	now = lv_tcti_now_ms();
	if (now >= deadline_ms)
		return 0;
	return deadline_ms - now > (uint64_t)INT32_MAX ? INT32_MAX : (int)(deadline_ms - now);
}

/* Waits for events on fd until the deadline: 0, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&pfd, 1, lv_tcti_poll_ms(deadline_ms));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* Sends out, or receives into in, len bytes by the deadline: 0,
 * -ETIMEDOUT, -ECONNRESET when the peer closed first, or -errno. */
static int transfer(int fd, const uint8_t *out, uint8_t *in, size_t len, uint64_t deadline_ms)
{
	while (len > 0) {
		ssize_t n = out ? send(fd, out, len, MSG_NOSIGNAL) : recv(fd, in, len, 0);
		int r;

		if (n > 0) {
			out = out ? out + n : NULL;
			in = in ? in + n : NULL;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		r = wait_fd(fd, out ? POLLOUT : POLLIN, deadline_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

static int send_all(int fd, const uint8_t *bytes, size_t len, uint64_t deadline_ms)
{
	return transfer(fd, bytes, NULL, len, deadline_ms);
}

static int recv_all(int fd, uint8_t *bytes, size_t len, uint64_t deadline_ms)
{
	return transfer(fd, NULL, bytes, len, deadline_ms);
}

/* A non-blocking connect that gives up at the deadline. */
static int connect_until(int fd, const struct sockaddr *addr, socklen_t addr_len,
			 uint64_t deadline_ms)
{
	int r = 0, so_error = 0;
	socklen_t len = sizeof(so_error);

	if (connect(fd, addr, addr_len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	r = wait_fd(fd, POLLOUT, deadline_ms);
	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
		return -errno;
	return -so_error;
}

static int connect_unix(const char *path, int control, uint64_t deadline_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, r;

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), control ? "%s.ctrl" : "%s",
			     path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect_until(fd, (struct sockaddr *)&addr, sizeof(addr), deadline_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int connect_tcp(const char *host, unsigned port, uint64_t deadline_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char service[8];
	int fd = -ECONNREFUSED;

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &list) != 0)
		return -EHOSTUNREACH;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;

		if (s < 0) {
			fd = -errno;
			continue;
		}
		r = connect_until(s, ai->ai_addr, ai->ai_addrlen, deadline_ms);
		if (r == 0) {
			fd = s;
			break;
		}
		close(s);
		fd = r;
		if (r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(list);
	return fd;
}

static int swtpm_connect(const struct lv_swtpm *s, int control, uint64_t deadline_ms)
{
	if (s->path[0])
		return connect_unix(s->path, control, deadline_ms);
	return connect_tcp(s->host, s->port + (control ? 1 : 0), deadline_ms);
}

static TSS2_RC fail(int r, int *timed_out)
{
	if (r == -ETIMEDOUT)
		*timed_out = 1;
	return TSS2_TCTI_RC_IO_ERROR;
}

/* Nothing listening is no TPM; a connection that times out is a hung one. */
static TSS2_RC connect_failed(int r, int *timed_out)
{
	return r == -ETIMEDOUT ? fail(r, timed_out) : TSS2_TCTI_RC_NO_CONNECTION;
}

/* "host=H,port=P" or "path=P", each at most once; anything else is refused. */
static TSS2_RC parse_conf(const char *conf, struct lv_swtpm *s)
{
	snprintf(s->host, sizeof(s->host), "%s", SWTPM_DEFAULT_HOST);
	s->port = SWTPM_DEFAULT_PORT;
	while (conf && *conf) {
		size_t len = strcspn(conf, ","), key_len = strcspn(conf, "=");
		const char *value = conf + key_len + 1;
		size_t value_len = len - key_len - 1;
		char *end;

		if (key_len >= len || value_len == 0)
			return TSS2_TCTI_RC_BAD_VALUE;
		if (key_len == 4 && strncmp(conf, "host", 4) == 0 && value_len < sizeof(s->host)) {
			snprintf(s->host, sizeof(s->host), "%.*s", (int)value_len, value);
		} else if (key_len == 4 && strncmp(conf, "path", 4) == 0 &&
			   value_len + sizeof(".ctrl") <= sizeof(s->path)) {
			snprintf(s->path, sizeof(s->path), "%.*s", (int)value_len, value);
		} else if (key_len == 4 && strncmp(conf, "port", 4) == 0) {
			unsigned long port = strtoul(value, &end, 10);

			if (end != value + value_len || port == 0 || port > 65534)
				return TSS2_TCTI_RC_BAD_VALUE;
			s->port = (unsigned)port;
		} else {
			return TSS2_TCTI_RC_BAD_VALUE;
		}
		conf += len + (conf[len] == ',');
	}
	return TSS2_RC_SUCCESS;
}

/* One control request with a one-byte payload; swtpm answers a 4-byte
 * result, 0 for success. */
static TSS2_RC control(struct lv_swtpm *s, uint32_t code, uint8_t payload, uint64_t deadline_ms,
		       int *timed_out)
{
	uint8_t request[5] = { code >> 24, code >> 16, code >> 8, code, payload }, result[4];
	int fd = swtpm_connect(s, 1, deadline_ms), r;

	if (fd < 0)
		return connect_failed(fd, timed_out);
	r = send_all(fd, request, sizeof(request), deadline_ms);
	if (r == 0)
		r = recv_all(fd, result, sizeof(result), deadline_ms);
	close(fd);
	if (r < 0)
		return fail(r, timed_out);
	return result[0] | result[1] | result[2] | result[3] ? TSS2_TCTI_RC_IO_ERROR :
							       TSS2_RC_SUCCESS;
}

TSS2_RC lv_swtpm_open(const char *conf, uint64_t deadline_ms, struct lv_swtpm **swtpm,
		      int *timed_out)
{
	struct lv_swtpm *s = calloc(1, sizeof(*s));
	TSS2_RC rc;

	*swtpm = NULL;
	if (!s)
		return TSS2_TCTI_RC_MEMORY;
	s->sock = -1;
	rc = parse_conf(conf, s);
	/* tss2's driver starts the same way: the TPM at locality 0. */
	if (rc == TSS2_RC_SUCCESS)
		rc = control(s, SWTPM_CMD_SET_LOCALITY, 0, deadline_ms, timed_out);
	if (rc != TSS2_RC_SUCCESS) {
		free(s);
		return rc;
	}
	*swtpm = s;
	return TSS2_RC_SUCCESS;
}

static void end_command(struct lv_swtpm *s)
{
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	s->response_size = 0;
}

TSS2_RC lv_swtpm_transmit(struct lv_swtpm *s, size_t size, const uint8_t *command,
			  uint64_t deadline_ms, int *timed_out)
{
	int r;

	end_command(s);
	if (size < TPM_HEADER_BYTES || size > TPM_RESPONSE_MAX)
		return TSS2_TCTI_RC_BAD_VALUE;
	r = swtpm_connect(s, 0, deadline_ms);
	if (r < 0)
		return connect_failed(r, timed_out);
	s->sock = r;
	r = send_all(s->sock, command, size, deadline_ms);
	if (r < 0) {
		end_command(s);
		return fail(r, timed_out);
	}
	return TSS2_RC_SUCCESS;
}

/* As tss2's drivers do: with response NULL, the size of the response
 * (its header read); then the whole response. */
TSS2_RC lv_swtpm_receive(struct lv_swtpm *s, size_t *size, uint8_t *response,
			 uint64_t deadline_ms, int *timed_out)
{
	int r;

	if (s->sock < 0)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (!s->response_size) {
		r = recv_all(s->sock, s->header, sizeof(s->header), deadline_ms);
		if (r < 0) {
			end_command(s);
			return fail(r, timed_out);
		}
		s->response_size = (uint32_t)s->header[2] << 24 | (uint32_t)s->header[3] << 16 |
				   (uint32_t)s->header[4] << 8 | s->header[5];
		if (s->response_size < TPM_HEADER_BYTES || s->response_size > TPM_RESPONSE_MAX) {
			end_command(s);
			return TSS2_TCTI_RC_MALFORMED_RESPONSE;
		}
	}
	if (!response) {
		*size = s->response_size;
		return TSS2_RC_SUCCESS;
	}
	if (*size < s->response_size) {
		*size = s->response_size;
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	}
	memcpy(response, s->header, sizeof(s->header));
	r = recv_all(s->sock, response + sizeof(s->header), s->response_size - sizeof(s->header),
		     deadline_ms);
	*size = s->response_size;
	end_command(s);
	return r < 0 ? fail(r, timed_out) : TSS2_RC_SUCCESS;
}

void lv_swtpm_close(struct lv_swtpm **swtpm)
{
	if (!*swtpm)
		return;
	end_command(*swtpm);
	free(*swtpm);
	*swtpm = NULL;
}
