package dev.rill.trainer.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Products of every implementation against a double-precision reference, and their determinism and checks. */
class FloatGemmTest {

  private static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 100, 129};

  // ---- the reference and the operands ----

  /** An operand: a view at an offset with a stride larger than its columns, random values in [-1, 1). */
  static FloatMatrix random(SplittableRandom random, int rows, int cols, int offset, int pad) {
    int stride = cols + pad;
    float[] data = new float[offset + rows * stride + 3];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return new FloatMatrix(data, offset, rows, cols, stride);
  }

  static double op(FloatMatrix x, boolean transposed, int i, int j) {
    return transposed ? x.get(j, i) : x.get(i, j);
  }

  /**
   * Checks c against op(a)·op(b) (+ c0) in double, each element within a tolerance relative to the sum of the
   * absolute values of its terms.
   */
  static void assertProduct(String what, FloatMatrix a, boolean ta, FloatMatrix b, boolean tb, float[] c0,
      FloatMatrix c, boolean accumulate) {
    int m = c.rows();
    int n = c.cols();
    int k = ta ? a.rows() : a.cols();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        double abs = 0;
        for (int p = 0; p < k; p++) {
          double t = op(a, ta, i, p) * op(b, tb, p, j);
          sum += t;
          abs += Math.abs(t);
        }
        int index = c.offset() + i * c.stride() + j;
        if (accumulate) {
          sum += c0[index];
          abs += Math.abs(c0[index]);
        }
        double error = Math.abs(c.get(i, j) - sum);
        double tolerance = 1.2e-7 * (k + 2) * abs + 1e-30;
        if (!(error <= tolerance)) {
          fail(what + ": c(" + i + ", " + j + ") = " + c.get(i, j) + ", expected " + sum + " (error " + error
              + " > " + tolerance + ")");
        }
      }
    }
    // Outside the view, c is untouched.
    for (int index = 0; index < c.data().length; index++) {
      int rel = index - c.offset();
      boolean inside = rel >= 0 && rel / c.stride() < m && rel % c.stride() < n;
      if (!inside && Float.floatToRawIntBits(c.data()[index]) != Float.floatToRawIntBits(c0[index])) {
        fail(what + ": c changed outside its view at index " + index);
      }
    }
  }

  /**
   * op(a)·op(b) over the odd sizes in m, n and k independently; the transposes, the accumulate flag, the offsets
   * and the strides cycle over the shapes so that every combination meets many sizes.
   */
  static void checkSizes(FloatGemm gemm) {
    SplittableRandom random = new SplittableRandom(42);
    int count = 0;
    for (int m : SIZES) {
      for (int n : SIZES) {
        for (int k : SIZES) {
          int variant = count++;
          boolean ta = (variant & 1) != 0;
          boolean tb = (variant & 2) != 0;
          boolean accumulate = (variant & 4) != 0;
          boolean packed = (variant % 5) == 0;
          checkOne(gemm, random, m, n, k, ta, tb, accumulate, packed, variant % 3, variant % 4);
        }
      }
    }
  }

  static void checkOne(FloatGemm gemm, SplittableRandom random, int m, int n, int k, boolean ta, boolean tb,
      boolean accumulate, boolean packed, int offset, int pad) {
    FloatMatrix a = ta ? random(random, k, m, offset, pad) : random(random, m, k, offset, pad);
    FloatMatrix b = tb ? random(random, n, k, pad, offset) : random(random, k, n, pad, offset);
    FloatMatrix c = random(random, m, n, offset + 1, pad + 1);
    float[] c0 = c.data().clone();
    if (packed) {
      gemm.multiply(a, ta, gemm.pack(b, tb), c, accumulate);
    } else {
      gemm.multiply(a, ta, b, tb, c, accumulate);
    }
    assertProduct(gemm.name() + " " + m + "x" + k + (ta ? "ᵀ" : "") + " · " + k + "x" + n + (tb ? "ᵀ" : "")
        + (accumulate ? " accumulated" : "") + (packed ? " packed" : ""), a, ta, b, tb, c0, c, accumulate);
  }

  static void checkAllCombinations(FloatGemm gemm) {
    SplittableRandom random = new SplittableRandom(7);
    int[][] shapes = {{1, 1, 1}, {3, 5, 2}, {17, 33, 9}, {13, 31, 64}, {40, 70, 129}};
    for (int[] shape : shapes) {
      for (int variant = 0; variant < 16; variant++) {
        checkOne(gemm, random, shape[0], shape[1], shape[2], (variant & 1) != 0, (variant & 2) != 0,
            (variant & 4) != 0, (variant & 8) != 0, 2, 3);
      }
    }
  }

  static boolean hasWidth(int bits) {
    return FloatVector.SPECIES_MAX.vectorBitSize() >= bits;
  }

  static FloatGemm vectorOrSkip(int bits) {
    if (!hasWidth(bits)) {
      String reason = "skipped: this machine's widest float vector is " + FloatVector.SPECIES_MAX.vectorBitSize()
          + " bits, so there is no " + bits + "-bit species to test";
      System.out.println(reason);
      Assumptions.abort(reason);
    }
    return FloatGemm.vector(bits);
  }

  static List<FloatGemm> vectorWidths() {
    List<FloatGemm> list = new ArrayList<>();
    for (int bits : new int[] {128, 256, 512}) {
      if (hasWidth(bits)) {
        list.add(FloatGemm.vector(bits));
      } else {
        System.out.println("not testing vector-" + bits + ": the widest float vector here is "
            + FloatVector.SPECIES_MAX.vectorBitSize() + " bits");
      }
    }
    return list;
  }

  // ---- correctness per implementation ----

  @Test
  void scalarMatchesReferenceOverOddSizes() {
    checkSizes(FloatGemm.scalar());
    checkAllCombinations(FloatGemm.scalar());
  }

  @Test
  void vector128MatchesReferenceOverOddSizes() {
    FloatGemm gemm = vectorOrSkip(128);
    checkSizes(gemm);
    checkAllCombinations(gemm);
  }

  @Test
  void vector256MatchesReferenceOverOddSizes() {
    FloatGemm gemm = vectorOrSkip(256);
    checkSizes(gemm);
    checkAllCombinations(gemm);
  }

  @Test
  void vector512MatchesReferenceOverOddSizes() {
    FloatGemm gemm = vectorOrSkip(512);
    checkSizes(gemm);
    checkAllCombinations(gemm);
  }

  @Test
  void vectorPreferredMatchesReference() {
    checkAllCombinations(FloatGemm.vector());
    assertEquals("vector-" + FloatVector.SPECIES_PREFERRED.vectorBitSize(), FloatGemm.vector().name());
  }

  @Test
  void bestIsVectorUnderC2() {
    assertTrue(FloatGemm.best().name().startsWith("vector-"), FloatGemm.best().name());
  }

  /**
   * op(a) = aᵀ where the rows of a are a multiple of 256 bytes apart and where they are not, with partial tiles
   * (the bottom one copied before the product), against the reference and across threads.
   */
  @Test
  void transposedAAtPowerOfTwoStridesMatchesReference() {
    SplittableRandom random = new SplittableRandom(11);
    int[][] cases = {{100, 28, 40, 33}, {70, 58, 129, 17}, {33, 31, 65, 200}, {64, 0, 32, 64}, {37, 0, 9, 5}};
    for (FloatGemm gemm : implementations()) {
      try (FloatGemm three = gemm.withThreads(3)) {
        for (int[] t : cases) {
          int m = t[0];
          int n = t[2];
          int k = t[3];
          for (boolean accumulate : new boolean[] {false, true}) {
            FloatMatrix a = random(random, k, m, 1, t[1]);
            FloatMatrix b = random(random, k, n, 0, 3);
            FloatMatrix c = random(random, m, n, 2, 1);
            float[] c0 = c.data().clone();
            float[] one = run(gemm, a, true, b, false, c, c0, accumulate);
            assertProduct(gemm.name() + " aᵀ stride " + a.stride(), a, true, b, false, c0, c, accumulate);
            assertArrayEquals(one, run(three, a, true, b, false, c, c0, accumulate), "3 threads");
          }
        }
      }
    }
  }

  // ---- k = 0 and empty products ----

  @Test
  void emptyInnerDimensionZeroesOrKeepsC() {
    for (FloatGemm gemm : implementations()) {
      FloatMatrix a = FloatMatrix.zeros(3, 0);
      FloatMatrix b = FloatMatrix.zeros(0, 4);
      FloatMatrix c = FloatMatrix.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4);
      gemm.multiply(a, false, b, false, c, true);
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, c.data(), gemm.name());
      gemm.multiply(a, false, gemm.pack(b, false), c, false);
      assertArrayEquals(new float[12], c.data(), gemm.name());
      gemm.multiply(FloatMatrix.zeros(0, 5), false, FloatMatrix.zeros(5, 2), false, FloatMatrix.zeros(0, 2), false);
    }
  }

  // ---- determinism ----

  static List<FloatGemm> implementations() {
    List<FloatGemm> list = new ArrayList<>();
    list.add(FloatGemm.scalar());
    list.addAll(vectorWidths());
    return list;
  }

  /** Shapes with more row tiles than panels and the other way round, edges, transposes and accumulation. */
  private static final int[][] THREAD_SHAPES = {
    {32, 1024, 256, 0, 1, 0}, {2048 / 8, 83, 256, 0, 1, 1}, {65, 129, 100, 1, 0, 0}, {1, 200, 33, 0, 0, 1},
    {200, 1, 33, 1, 1, 0}, {129, 63, 17, 1, 0, 1}, {7, 5, 3, 0, 0, 0},
  };

  @Test
  void threadsGiveBitwiseTheSameResult() {
    SplittableRandom random = new SplittableRandom(3);
    for (FloatGemm gemm : implementations()) {
      try (FloatGemm two = gemm.withThreads(2); FloatGemm three = gemm.withThreads(3)) {
        for (int[] s : THREAD_SHAPES) {
          boolean ta = s[3] != 0;
          boolean tb = s[4] != 0;
          boolean accumulate = s[5] != 0;
          FloatMatrix a = ta ? random(random, s[2], s[0], 1, 2) : random(random, s[0], s[2], 1, 2);
          FloatMatrix b = tb ? random(random, s[1], s[2], 0, 1) : random(random, s[2], s[1], 0, 1);
          FloatMatrix c = random(random, s[0], s[1], 2, 3);
          float[] c0 = c.data().clone();
          float[] one = run(gemm, a, ta, b, tb, c, c0, accumulate);
          for (int repeat = 0; repeat < 3; repeat++) {
            String what = gemm.name() + " " + s[0] + "x" + s[1] + "x" + s[2];
            assertArrayEquals(one, run(gemm, a, ta, b, tb, c, c0, accumulate), what + " again");
            assertArrayEquals(one, run(two, a, ta, b, tb, c, c0, accumulate), what + " on 2 threads");
            assertArrayEquals(one, run(three, a, ta, b, tb, c, c0, accumulate), what + " on 3 threads");
            PackedMatrix packed = three.pack(b, tb);
            System.arraycopy(c0, 0, c.data(), 0, c0.length);
            three.multiply(a, ta, packed, c, accumulate);
            assertArrayEquals(one, c.data(), what + " packed on 3 threads");
          }
        }
      }
    }
  }

  private static float[] run(FloatGemm gemm, FloatMatrix a, boolean ta, FloatMatrix b, boolean tb, FloatMatrix c,
      float[] c0, boolean accumulate) {
    System.arraycopy(c0, 0, c.data(), 0, c0.length);
    gemm.multiply(a, ta, b, tb, c, accumulate);
    return c.data().clone();
  }

  @Test
  void packedIsBitwiseTheSameAsUnpacked() {
    SplittableRandom random = new SplittableRandom(5);
    for (FloatGemm gemm : vectorWidths()) {
      for (int m : new int[] {1, 17, 32, 33}) {
        for (int n : new int[] {1, 31, 83, 129}) {
          for (int variant = 0; variant < 8; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            boolean accumulate = (variant & 4) != 0;
            int k = 37 + variant * 11;
            FloatMatrix a = ta ? random(random, k, m, 3, 1) : random(random, m, k, 3, 1);
            FloatMatrix b = tb ? random(random, n, k, 1, 2) : random(random, k, n, 1, 2);
            FloatMatrix c = random(random, m, n, 0, 0);
            float[] c0 = c.data().clone();
            float[] plain = run(gemm, a, ta, b, tb, c, c0, accumulate);
            System.arraycopy(c0, 0, c.data(), 0, c0.length);
            gemm.multiply(a, ta, gemm.pack(b, tb), c, accumulate);
            assertArrayEquals(plain, c.data(), gemm.name() + " " + m + "x" + n + "x" + k + " variant " + variant);
          }
        }
      }
    }
  }

  @Test
  void repackFollowsTheNewValuesWithoutChangingTheShape() {
    SplittableRandom random = new SplittableRandom(9);
    for (FloatGemm gemm : implementations()) {
      FloatMatrix a = random(random, 5, 40, 0, 0);
      FloatMatrix w = random(random, 70, 40, 0, 0);
      PackedMatrix packed = gemm.pack(w, true);
      assertEquals(40, packed.rows());
      assertEquals(70, packed.cols());
      assertEquals(w.get(3, 7), packed.get(7, 3));
      FloatMatrix w2 = random(random, 70, 40, 0, 0);
      packed.repack(w2);
      FloatMatrix viaPacked = FloatMatrix.zeros(5, 70);
      FloatMatrix plain = FloatMatrix.zeros(5, 70);
      gemm.multiply(a, false, packed, viaPacked, false);
      gemm.multiply(a, false, w2, true, plain, false);
      assertArrayEquals(plain.data(), viaPacked.data(), gemm.name());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> packed.repack(w2, false));
      assertTrue(e.getMessage().contains("40x70"), e.getMessage());
    }
  }

  /**
   * The checks and the dispatch shared by all implementations allocate nothing per product of a steady shape
   * (the scalar kernel is used, so the result does not depend on when C2 compiles the vector code).
   */
  @Test
  void productsOfASteadyShapeDoNotAllocate() {
    FloatGemm gemm = FloatGemm.scalar();
    FloatMatrix a = FloatMatrix.zeros(3, 5);
    FloatMatrix b = FloatMatrix.zeros(4, 5);
    FloatMatrix c = FloatMatrix.zeros(3, 4);
    PackedMatrix packed = gemm.pack(b, true);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 20_000; i++) {
      gemm.multiply(a, false, b, true, c, false);
      gemm.multiply(a, false, packed, c, true);
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 1000; i++) {
      gemm.multiply(a, false, b, true, c, false);
      gemm.multiply(a, false, packed, c, true);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < 1000, allocated + " bytes allocated by 2000 products");
  }

  // ---- checks and messages ----

  @Test
  void wrongShapesAreExplained() {
    for (FloatGemm gemm : implementations()) {
      FloatMatrix a = FloatMatrix.zeros(3, 4);
      FloatMatrix b = FloatMatrix.zeros(5, 2);
      IllegalArgumentException inner = assertThrows(IllegalArgumentException.class,
          () -> gemm.multiply(a, false, b, false, FloatMatrix.zeros(3, 2), false));
      assertEquals("inner dimensions differ: op(a) = a 3x4 has 4 columns but op(b) = b 5x2 has 5 rows",
          inner.getMessage());
      IllegalArgumentException result = assertThrows(IllegalArgumentException.class,
          () -> gemm.multiply(a, false, FloatMatrix.zeros(4, 2), false, FloatMatrix.zeros(2, 3), false));
      assertEquals("c is 2x3 but op(a)·op(b) is 3x2 (op(a) = a 3x4, op(b) = b 4x2)", result.getMessage());
      IllegalArgumentException transposed = assertThrows(IllegalArgumentException.class,
          () -> gemm.multiply(a, true, gemm.pack(b, true), FloatMatrix.zeros(4, 5), false));
      assertEquals("inner dimensions differ: op(a) = aᵀ 4x3 has 3 columns but packed op(b) 2x5 has 2 rows",
          transposed.getMessage());
    }
  }

  @Test
  void packedMatricesOfAnotherWidthAreRefused() {
    List<FloatGemm> vectors = vectorWidths();
    FloatMatrix b = FloatMatrix.zeros(4, 4);
    for (FloatGemm gemm : vectors) {
      PackedMatrix scalarPacked = FloatGemm.scalar().pack(b, false);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> gemm.multiply(FloatMatrix.zeros(2, 4), false, scalarPacked, FloatMatrix.zeros(2, 4), false));
      assertTrue(e.getMessage().contains("panels of 1 columns"), e.getMessage());
      // The scalar product reads any layout.
      FloatGemm.scalar().multiply(FloatMatrix.zeros(2, 4), false, gemm.pack(b, false), FloatMatrix.zeros(2, 4),
          false);
    }
  }

  @Test
  void viewsAreValidated() {
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> new FloatMatrix(new float[10], 2, 3, 3, 3));
    assertEquals("a 3x3 view at offset 2 with stride 3 ends at index 10, outside data of length 10",
        outside.getMessage());
    IllegalArgumentException stride = assertThrows(IllegalArgumentException.class,
        () -> new FloatMatrix(new float[10], 0, 2, 4, 3));
    assertEquals("stride 3 is less than cols 4", stride.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new FloatMatrix(new float[10], -1, 2, 2, 2));
    assertThrows(NullPointerException.class, () -> new FloatMatrix(null, 0, 0, 0, 0));
    new FloatMatrix(new float[0], 5, 0, 0, 0);
    FloatMatrix view = new FloatMatrix(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 1, 2, 2, 4);
    assertEquals(6f, view.get(1, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> view.get(0, 2));
  }

  @Test
  void unsupportedWidthsAreRefused() {
    IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> FloatGemm.vector(384));
    assertEquals("vector width 384 bits: expected 128, 256 or 512", odd.getMessage());
    if (!hasWidth(512)) {
      IllegalArgumentException wide = assertThrows(IllegalArgumentException.class, () -> FloatGemm.vector(512));
      assertTrue(wide.getMessage().contains("no 512-bit float vectors"), wide.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> FloatGemm.scalar().withThreads(0));
  }

  @Test
  void closedThreadedProductsRefuseWork() {
    FloatGemm two = FloatGemm.vector().withThreads(2);
    FloatMatrix a = FloatMatrix.zeros(40, 40);
    two.multiply(a, false, a, false, FloatMatrix.zeros(40, 40), false);
    two.close();
    assertThrows(IllegalStateException.class,
        () -> two.multiply(a, false, a, false, FloatMatrix.zeros(40, 40), false));
  }
}
