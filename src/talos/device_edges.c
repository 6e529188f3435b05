/* SPDX-License-Identifier: ISC */
/* device_edges.c: the edges of a device, for builds without libblkid. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "talos/device_edges.h"

#define CHUNK_BYTES (64 * 1024)

/* The offsets and lengths of the two edges; one range on a small device. */
static int edges(int fd, off_t start[2], off_t len[2])
{
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0)
		return -errno;
	start[0] = 0;
	len[0] = size < LV_DEVICE_EDGE_BYTES ? size : LV_DEVICE_EDGE_BYTES;
	start[1] = size - LV_DEVICE_EDGE_BYTES > len[0] ? size - LV_DEVICE_EDGE_BYTES : len[0];
	len[1] = size - start[1];
	return 0;
}

static int range_zero(int fd, off_t start, off_t len, uint8_t *buf)
{
	for (off_t done = 0; done < len;) {
		size_t want = len - done < CHUNK_BYTES ? (size_t)(len - done) : CHUNK_BYTES;
		ssize_t n = pread(fd, buf, want, start + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i])
				return 0;
		done += n;
	}
	return 1;
}

int lv_device_edges_zero(int fd)
{
	off_t start[2] = { 0 }, len[2] = { 0 };
	uint8_t *buf;
	int r = edges(fd, start, len);

	if (r < 0)
		return r;
	buf = malloc(CHUNK_BYTES);
	if (!buf)
		return -ENOMEM;
	r = range_zero(fd, start[0], len[0], buf);
	if (r == 1)
		r = range_zero(fd, start[1], len[1], buf);
	free(buf);
	return r;
}

int lv_device_zero_edges(int fd)
{
	off_t start[2] = { 0 }, len[2] = { 0 };
	uint8_t *zeros = calloc(1, CHUNK_BYTES);
	int r = zeros ? edges(fd, start, len) : -ENOMEM;

	for (int i = 0; r == 0 && i < 2; i++) {
		for (off_t done = 0; r == 0 && done < len[i];) {
			size_t want = len[i] - done < CHUNK_BYTES ? (size_t)(len[i] - done) : CHUNK_BYTES;
			ssize_t n = pwrite(fd, zeros, want, start[i] + done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				r = n < 0 ? -errno : -EIO;
			else
				done += n;
		}
	}
	free(zeros);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}
