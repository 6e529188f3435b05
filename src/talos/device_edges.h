/* SPDX-License-Identifier: ISC */
/*
 * device_edges.h: what stands in for libblkid in a WITH_BLKID=0 build.
 * Every signature libblkid knows (filesystems, LVM, RAID, partition
 * tables, swap) lies within the first or the last MiB of a device, so a
 * device whose edges are all zero holds none, and zeroing the edges
 * erases them all.
 */
#ifndef LV_DEVICE_EDGES_H
#define LV_DEVICE_EDGES_H

#define LV_DEVICE_EDGE_BYTES (1024 * 1024)

/* 1 when the first and last LV_DEVICE_EDGE_BYTES of fd are zero, 0 when
 * not, or a negative errno. */
int lv_device_edges_zero(int fd);

/* Zeroes both edges and syncs: 0 or a negative errno. */
int lv_device_zero_edges(int fd);

#endif
