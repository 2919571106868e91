"""How rows are split into blocks that threads process independently."""

import numba

# A block is processed by one thread into its own accumulators, and blocks are
# summed in a fixed order afterwards.  The split depends only on the number of
# rows, never on the number of threads, so a seeded fit is bit-for-bit
# reproducible whatever NUMBA_NUM_THREADS is.
MIN_ROWS_PER_BLOCK = 2048
MAX_BLOCKS = 16


@numba.njit(cache=True)
def n_row_blocks(n_rows):
    return max(1, min(n_rows // MIN_ROWS_PER_BLOCK, MAX_BLOCKS))


@numba.njit(cache=True)
def block_bounds(block, n_blocks, n_rows):
    return block * n_rows // n_blocks, (block + 1) * n_rows // n_blocks
