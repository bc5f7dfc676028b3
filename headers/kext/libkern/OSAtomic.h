/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/libkern/OSAtomic.h
 * @abstract libkern's atomic operations.
 * @discussion Each is an inline function over the compiler's atomic
 *     built-ins, sequentially consistent (XNU's are full barriers), so
 *     ThreadSanitizer sees them.  The arithmetic and bit operations return
 *     the value before the operation, as XNU's do; the compare-and-swap
 *     operations return whether they swapped.  OSTestAndSet() and
 *     OSTestAndClear() number bits as XNU does: bit 0 is the most
 *     significant bit of the first byte.
 */
#ifndef _XKPI_KEXT_LIBKERN_OSATOMIC_H_
#define _XKPI_KEXT_LIBKERN_OSATOMIC_H_

#include <xkpi_kext.h>

#include <libkern/OSTypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function OSAddAtomic
 * @abstract Adds to a 32-bit value atomically.
 * @param amount The amount to add.
 * @param address The value.
 * @result The value before the addition.
 */
static __inline__ SInt32
OSAddAtomic(SInt32 amount, volatile SInt32 *address)
{
	return (SInt32)__atomic_fetch_add(address, (SInt32)amount,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSIncrementAtomic
 * @abstract Adds 1 to a 32-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt32
OSIncrementAtomic(volatile SInt32 *address)
{
	return (SInt32)__atomic_fetch_add(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSDecrementAtomic
 * @abstract Subtracts 1 from a 32-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt32
OSDecrementAtomic(volatile SInt32 *address)
{
	return (SInt32)__atomic_fetch_sub(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSAddAtomic64
 * @abstract Adds to a 64-bit value atomically.
 * @param amount The amount to add.
 * @param address The value.
 * @result The value before the addition.
 */
static __inline__ SInt64
OSAddAtomic64(SInt64 amount, volatile SInt64 *address)
{
	return (SInt64)__atomic_fetch_add(address, (SInt64)amount,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSIncrementAtomic64
 * @abstract Adds 1 to a 64-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt64
OSIncrementAtomic64(volatile SInt64 *address)
{
	return (SInt64)__atomic_fetch_add(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSDecrementAtomic64
 * @abstract Subtracts 1 from a 64-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt64
OSDecrementAtomic64(volatile SInt64 *address)
{
	return (SInt64)__atomic_fetch_sub(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSAddAtomicLong
 * @abstract Adds to a long atomically.
 * @param amount The amount to add.
 * @param address The value.
 * @result The value before the addition.
 */
static __inline__ long
OSAddAtomicLong(long amount, volatile long *address)
{
	return (long)__atomic_fetch_add(address, (long)amount,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSIncrementAtomicLong
 * @abstract Adds 1 to a long atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ long
OSIncrementAtomicLong(volatile long *address)
{
	return (long)__atomic_fetch_add(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSDecrementAtomicLong
 * @abstract Subtracts 1 from a long atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ long
OSDecrementAtomicLong(volatile long *address)
{
	return (long)__atomic_fetch_sub(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSAddAtomic16
 * @abstract Adds to a 16-bit value atomically.
 * @param amount The amount to add.
 * @param address The value.
 * @result The value before the addition.
 */
static __inline__ SInt16
OSAddAtomic16(SInt32 amount, volatile SInt16 *address)
{
	return (SInt16)__atomic_fetch_add(address, (SInt16)amount,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSIncrementAtomic16
 * @abstract Adds 1 to a 16-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt16
OSIncrementAtomic16(volatile SInt16 *address)
{
	return (SInt16)__atomic_fetch_add(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSDecrementAtomic16
 * @abstract Subtracts 1 from a 16-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt16
OSDecrementAtomic16(volatile SInt16 *address)
{
	return (SInt16)__atomic_fetch_sub(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSAddAtomic8
 * @abstract Adds to an 8-bit value atomically.
 * @param amount The amount to add.
 * @param address The value.
 * @result The value before the addition.
 */
static __inline__ SInt8
OSAddAtomic8(SInt32 amount, volatile SInt8 *address)
{
	return (SInt8)__atomic_fetch_add(address, (SInt8)amount,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSIncrementAtomic8
 * @abstract Adds 1 to an 8-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt8
OSIncrementAtomic8(volatile SInt8 *address)
{
	return (SInt8)__atomic_fetch_add(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSDecrementAtomic8
 * @abstract Subtracts 1 from an 8-bit value atomically.
 * @param address The value.
 * @result The value before.
 */
static __inline__ SInt8
OSDecrementAtomic8(volatile SInt8 *address)
{
	return (SInt8)__atomic_fetch_sub(address, 1, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitAndAtomic
 * @abstract ANDs a mask into a 32-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt32
OSBitAndAtomic(UInt32 mask, volatile UInt32 *address)
{
	return (UInt32)__atomic_fetch_and(address, (UInt32)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitOrAtomic
 * @abstract ORs a mask into a 32-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt32
OSBitOrAtomic(UInt32 mask, volatile UInt32 *address)
{
	return (UInt32)__atomic_fetch_or(address, (UInt32)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitXorAtomic
 * @abstract XORs a mask into a 32-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt32
OSBitXorAtomic(UInt32 mask, volatile UInt32 *address)
{
	return (UInt32)__atomic_fetch_xor(address, (UInt32)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitAndAtomic16
 * @abstract ANDs a mask into a 16-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt16
OSBitAndAtomic16(UInt32 mask, volatile UInt16 *address)
{
	return (UInt16)__atomic_fetch_and(address, (UInt16)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitOrAtomic16
 * @abstract ORs a mask into a 16-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt16
OSBitOrAtomic16(UInt32 mask, volatile UInt16 *address)
{
	return (UInt16)__atomic_fetch_or(address, (UInt16)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitXorAtomic16
 * @abstract XORs a mask into a 16-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt16
OSBitXorAtomic16(UInt32 mask, volatile UInt16 *address)
{
	return (UInt16)__atomic_fetch_xor(address, (UInt16)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitAndAtomic8
 * @abstract ANDs a mask into a 8-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt8
OSBitAndAtomic8(UInt32 mask, volatile UInt8 *address)
{
	return (UInt8)__atomic_fetch_and(address, (UInt8)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitOrAtomic8
 * @abstract ORs a mask into a 8-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt8
OSBitOrAtomic8(UInt32 mask, volatile UInt8 *address)
{
	return (UInt8)__atomic_fetch_or(address, (UInt8)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSBitXorAtomic8
 * @abstract XORs a mask into a 8-bit value atomically.
 * @param mask The mask.
 * @param address The value.
 * @result The value before.
 */
static __inline__ UInt8
OSBitXorAtomic8(UInt32 mask, volatile UInt8 *address)
{
	return (UInt8)__atomic_fetch_xor(address, (UInt8)mask,
	    __ATOMIC_SEQ_CST);
}

/*!
 * @function OSCompareAndSwap
 * @abstract Stores a new value if the old one is still there, atomically.
 * @param oldValue The value expected.
 * @param newValue The value to store.
 * @param address The value.
 * @result Whether it was there and the new one stored.
 */
static __inline__ Boolean
OSCompareAndSwap(UInt32 oldValue, UInt32 newValue, volatile UInt32 *address)
{
	return (Boolean)__atomic_compare_exchange_n(address, &oldValue,
	    newValue, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSCompareAndSwap64
 * @abstract Stores a new value if the old one is still there, atomically.
 * @param oldValue The value expected.
 * @param newValue The value to store.
 * @param address The value.
 * @result Whether it was there and the new one stored.
 */
static __inline__ Boolean
OSCompareAndSwap64(UInt64 oldValue, UInt64 newValue, volatile UInt64 *address)
{
	return (Boolean)__atomic_compare_exchange_n(address, &oldValue,
	    newValue, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSCompareAndSwapLong
 * @abstract Stores a new value if the old one is still there, atomically.
 * @param oldValue The value expected.
 * @param newValue The value to store.
 * @param address The value.
 * @result Whether it was there and the new one stored.
 */
static __inline__ Boolean
OSCompareAndSwapLong(long oldValue, long newValue, volatile long *address)
{
	return (Boolean)__atomic_compare_exchange_n(address, &oldValue,
	    newValue, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSCompareAndSwapPtr
 * @abstract Stores a new value if the old one is still there, atomically.
 * @param oldValue The value expected.
 * @param newValue The value to store.
 * @param address The value.
 * @result Whether it was there and the new one stored.
 */
static __inline__ Boolean
OSCompareAndSwapPtr(void *oldValue, void *newValue, void * volatile *address)
{
	return (Boolean)__atomic_compare_exchange_n(address, &oldValue,
	    newValue, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*!
 * @function OSTestAndSet
 * @abstract Sets a bit atomically.
 * @param bit The bit: 0 is the most significant bit of the first byte.
 * @param startAddress The first byte.
 * @result Whether the bit was set before.
 */
static __inline__ Boolean
OSTestAndSet(UInt32 bit, volatile UInt8 *startAddress)
{
	UInt8 m = (UInt8)(0x80u >> (bit & 7));

	return (Boolean)((__atomic_fetch_or(startAddress + (bit >> 3), m,
	    __ATOMIC_SEQ_CST) & m) != 0);
}

/*!
 * @function OSTestAndClear
 * @abstract Clears a bit atomically.
 * @param bit The bit: 0 is the most significant bit of the first byte.
 * @param startAddress The first byte.
 * @result Whether the bit was set before.
 */
static __inline__ Boolean
OSTestAndClear(UInt32 bit, volatile UInt8 *startAddress)
{
	UInt8 m = (UInt8)(0x80u >> (bit & 7));

	return (Boolean)((__atomic_fetch_and(startAddress + (bit >> 3),
	    (UInt8)~m, __ATOMIC_SEQ_CST) & m) != 0);
}

/*!
 * @function OSMemoryBarrier
 * @abstract A full memory barrier.
 */
static __inline__ void
OSMemoryBarrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*!
 * @function OSSynchronizeIO
 * @abstract Orders memory-mapped I/O (a full barrier here).
 */
static __inline__ void
OSSynchronizeIO(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_LIBKERN_OSATOMIC_H_ */
