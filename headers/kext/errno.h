/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/errno.h
 * @abstract glibc's `<errno.h>` with the Darwin-only names of
 *     `<sys/errno.h>`.
 */
#ifndef _XKPI_KEXT_ERRNO_H_
#define _XKPI_KEXT_ERRNO_H_

#include_next <errno.h>

#include <sys/errno.h>

#endif /* _XKPI_KEXT_ERRNO_H_ */
