package dev.rill.runtime.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ChunkCursorsTest {

  @Test
  void aPartTakesItsOwnChunksInOrderThenTheOthersFromTheirBack() {
    ChunkCursors cursors = new ChunkCursors(3, 4);
    List<Integer> taken = new ArrayList<>();
    for (int k; (k = cursors.next(1)) >= 0; ) {
      taken.add(k);
    }
    // Own chunks 4..7 in order, then part 2's from its back (11..8), then part 0's (3..0).
    assertEquals(List.of(4, 5, 6, 7, 11, 10, 9, 8, 3, 2, 1, 0), taken);
    cursors.reset();
    assertEquals(0, cursors.next(0));
    assertEquals(8, cursors.next(2));
  }

  @Test
  void theOwnerAndAThiefShareWhatIsLeft() {
    ChunkCursors cursors = new ChunkCursors(2, 4);
    assertEquals(0, cursors.next(0));
    assertEquals(4, cursors.next(1));
    assertEquals(5, cursors.next(1));
    assertEquals(6, cursors.next(1));
    assertEquals(7, cursors.next(1));
    assertEquals(3, cursors.next(1), "part 1 steals part 0's last chunk");
    assertEquals(1, cursors.next(0), "part 0 goes on from its front");
    assertEquals(2, cursors.next(1));
    assertEquals(-1, cursors.next(0));
    assertEquals(-1, cursors.next(1));
  }

  @Test
  void underContentionEveryChunkIsTakenExactlyOnce() throws InterruptedException {
    int parts = 4;
    int perPart = 64;
    ChunkCursors cursors = new ChunkCursors(parts, perPart);
    for (int round = 0; round < 200; round++) {
      cursors.reset();
      AtomicIntegerArray counts = new AtomicIntegerArray(parts * perPart);
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int p = 0; p < parts; p++) {
        int part = p;
        Thread thread = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          // Part 0 is slow, so the others steal from it.
          for (int k; (k = cursors.next(part)) >= 0; ) {
            counts.incrementAndGet(k);
            if (part == 0) {
              Thread.onSpinWait();
            }
          }
        });
        threads.add(thread);
        thread.start();
      }
      start.countDown();
      for (Thread thread : threads) {
        thread.join();
      }
      for (int k = 0; k < counts.length(); k++) {
        assertEquals(1, counts.get(k), "round " + round + ": chunk " + k);
      }
    }
  }

  @Test
  void rejectsEmptyShapes() {
    assertThrows(IllegalArgumentException.class, () -> new ChunkCursors(0, 4));
    assertThrows(IllegalArgumentException.class, () -> new ChunkCursors(2, 0));
  }
}
