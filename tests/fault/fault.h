/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Failing calls by name, for a test program linked with fault.c and the
 * wrappers (Makefile.in: FAULT_WRAP).
 */
#ifndef _XK_TESTS_FAULT_FAULT_H_
#define _XK_TESTS_FAULT_FAULT_H_

/*
 * Calls to the wrapped functions whose name starts with @prefix
 * ("g_try_malloc" takes in g_try_malloc0_n), from any thread and site:
 * the next @skip pass, then @count fail.  NULL disarms.
 */
void		xk_fault_next(const char *prefix, unsigned int skip,
		    unsigned int count);
/* How many of the failures asked for have not happened yet. */
unsigned int	xk_fault_pending(void);

#endif /* _XK_TESTS_FAULT_FAULT_H_ */
