package dev.rill.runtime.internal.exec;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out the chunks of one job to its parts: part {@code p} owns chunks {@code [p * k, (p + 1) * k)} and
 * takes them from the front, in order, so that in the common case each part works on its own consecutive
 * slice; once its own are gone it takes the other parts' remaining chunks from their back, so a part whose
 * core is slowed by other work does not hold up the job. Every chunk is handed out exactly once per
 * {@link #reset}. Lock-free and allocation-free: one atomic (front, end) pair per part.
 */
final class ChunkCursors {

  private final int chunksPerPart;
  /** Per part, the chunks it has not handed out: the next from the front (high 32 bits) and the end (low). */
  private final AtomicLong[] cursors;

  ChunkCursors(int parts, int chunksPerPart) {
    if (parts < 1 || chunksPerPart < 1) {
      throw new IllegalArgumentException("parts " + parts + " and chunks per part " + chunksPerPart);
    }
    this.chunksPerPart = chunksPerPart;
    this.cursors = new AtomicLong[parts];
    for (int p = 0; p < parts; p++) {
      cursors[p] = new AtomicLong();
    }
    reset();
  }

  /** Every chunk back to its owner; call before a job is published to the parts. */
  void reset() {
    for (int p = 0; p < cursors.length; p++) {
      cursors[p].set(((long) p * chunksPerPart << 32) | ((long) (p + 1) * chunksPerPart));
    }
  }

  /** The next chunk for {@code part}: its own first, then the others' last; -1 when none is left. */
  int next(int part) {
    int own = take(cursors[part], true);
    if (own >= 0) {
      return own;
    }
    for (int i = 1; i < cursors.length; i++) {
      int other = take(cursors[(part + i) % cursors.length], false);
      if (other >= 0) {
        return other;
      }
    }
    return -1;
  }

  /** Takes the first ({@code front}) or last chunk left in a cursor, or returns -1 if none is. */
  private static int take(AtomicLong cursor, boolean front) {
    while (true) {
      long value = cursor.get();
      int next = (int) (value >>> 32);
      int end = (int) value;
      if (next >= end) {
        return -1;
      }
      long taken = front ? ((long) (next + 1) << 32) | end : ((long) next << 32) | (end - 1);
      if (cursor.compareAndSet(value, taken)) {
        return front ? next : end - 1;
      }
    }
  }
}
