/* SPDX-License-Identifier: ISC */
/* null.c: does nothing.  Linked with build/luksvol's shared libraries
 * (bench.mk), its run time is the start-up floor of any dynamically linked
 * luksvol verb: the dump figures report it. */
int main(void)
{
	return 0;
}
