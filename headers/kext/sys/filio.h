/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/filio.h
 * @abstract The generic ioctl requests: FIONBIO, FIONREAD and the rest.
 * @discussion glibc defines every request a kext gives sock_ioctl()
 *     (`FIONBIO`, `FIONREAD`, `FIOASYNC`, `FIOCLEX`, `FIONCLEX`,
 *     `FIOSETOWN`, `FIOGETOWN`) in `<sys/ioctl.h>`, with Linux's values,
 *     and the library gives them XNU's meaning: this header includes it.
 *     Darwin's `FIODTYPE` is not defined: no socket call answers it.
 */
#ifndef _XKPI_KEXT_SYS_FILIO_H_
#define _XKPI_KEXT_SYS_FILIO_H_

#include <xkpi_kext.h>

#include <sys/ioctl.h>

#endif /* _XKPI_KEXT_SYS_FILIO_H_ */
