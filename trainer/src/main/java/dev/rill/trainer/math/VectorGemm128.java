package dev.rill.trainer.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 128-bit tiles: 6 rows by 2 vectors of 4 floats (12 accumulators). Generated code: the
 * tile is written out so that every vector stays in a register (no vector crosses a method call). Regenerate with
 * trainer/src/test/resources/dev/rill/trainer/math/generate_tiles.py, not by hand.
 */
final class VectorGemm128 extends VectorGemm {

  static final VectorGemm128 INSTANCE = new VectorGemm128();

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
  private static final int L = 4;
  private static final int MR = 6;
  private static final int NR = 8;

  private VectorGemm128() {}

  @Override
  public String name() {
    return "vector-128";
  }

  @Override
  int mr() {
    return MR;
  }

  @Override
  int nr() {
    return NR;
  }

  @Override
  void tileRows(float[] a, int a0, int lda, int rows, float[] b, int b0, int k, float[] out, int o, int ldo,
      boolean acc) {
    int last = rows - 1;
    int r0 = a0;
    int r1 = a0 + Math.min(1, last) * lda;
    int r2 = a0 + Math.min(2, last) * lda;
    int r3 = a0 + Math.min(3, last) * lda;
    int r4 = a0 + Math.min(4, last) * lda;
    int r5 = a0 + Math.min(5, last) * lda;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    for (int p = 0; p < k; p++) {
      int bp = b0 + p * NR;
      FloatVector bv0 = FloatVector.fromArray(S, b, bp);
      FloatVector bv1 = FloatVector.fromArray(S, b, bp + 4);
      FloatVector x0 = FloatVector.broadcast(S, a[r0 + p]);
      c00 = x0.fma(bv0, c00);
      c01 = x0.fma(bv1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[r1 + p]);
      c10 = x1.fma(bv0, c10);
      c11 = x1.fma(bv1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[r2 + p]);
      c20 = x2.fma(bv0, c20);
      c21 = x2.fma(bv1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[r3 + p]);
      c30 = x3.fma(bv0, c30);
      c31 = x3.fma(bv1, c31);
      FloatVector x4 = FloatVector.broadcast(S, a[r4 + p]);
      c40 = x4.fma(bv0, c40);
      c41 = x4.fma(bv1, c41);
      FloatVector x5 = FloatVector.broadcast(S, a[r5 + p]);
      c50 = x5.fma(bv0, c50);
      c51 = x5.fma(bv1, c51);
    }
    if (acc) {
      int o0 = o;
      FloatVector.fromArray(S, out, o0).add(c00).intoArray(out, o0);
      FloatVector.fromArray(S, out, o0 + 4).add(c01).intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      FloatVector.fromArray(S, out, o1).add(c10).intoArray(out, o1);
      FloatVector.fromArray(S, out, o1 + 4).add(c11).intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      FloatVector.fromArray(S, out, o2).add(c20).intoArray(out, o2);
      FloatVector.fromArray(S, out, o2 + 4).add(c21).intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      FloatVector.fromArray(S, out, o3).add(c30).intoArray(out, o3);
      FloatVector.fromArray(S, out, o3 + 4).add(c31).intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      FloatVector.fromArray(S, out, o4).add(c40).intoArray(out, o4);
      FloatVector.fromArray(S, out, o4 + 4).add(c41).intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      FloatVector.fromArray(S, out, o5).add(c50).intoArray(out, o5);
      FloatVector.fromArray(S, out, o5 + 4).add(c51).intoArray(out, o5 + 4);
    } else {
      int o0 = o;
      c00.intoArray(out, o0);
      c01.intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      c10.intoArray(out, o1);
      c11.intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      c20.intoArray(out, o2);
      c21.intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      c30.intoArray(out, o3);
      c31.intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      c40.intoArray(out, o4);
      c41.intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      c50.intoArray(out, o5);
      c51.intoArray(out, o5 + 4);
    }
  }

  @Override
  void tileColumns(float[] a, int a0, int lda, float[] b, int b0, int k, float[] out, int o, int ldo, boolean acc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    for (int p = 0; p < k; p++) {
      int bp = b0 + p * NR;
      FloatVector bv0 = FloatVector.fromArray(S, b, bp);
      FloatVector bv1 = FloatVector.fromArray(S, b, bp + 4);
      FloatVector x0 = FloatVector.broadcast(S, a[a0 + p * lda + 0]);
      c00 = x0.fma(bv0, c00);
      c01 = x0.fma(bv1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[a0 + p * lda + 1]);
      c10 = x1.fma(bv0, c10);
      c11 = x1.fma(bv1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[a0 + p * lda + 2]);
      c20 = x2.fma(bv0, c20);
      c21 = x2.fma(bv1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[a0 + p * lda + 3]);
      c30 = x3.fma(bv0, c30);
      c31 = x3.fma(bv1, c31);
      FloatVector x4 = FloatVector.broadcast(S, a[a0 + p * lda + 4]);
      c40 = x4.fma(bv0, c40);
      c41 = x4.fma(bv1, c41);
      FloatVector x5 = FloatVector.broadcast(S, a[a0 + p * lda + 5]);
      c50 = x5.fma(bv0, c50);
      c51 = x5.fma(bv1, c51);
    }
    if (acc) {
      int o0 = o;
      FloatVector.fromArray(S, out, o0).add(c00).intoArray(out, o0);
      FloatVector.fromArray(S, out, o0 + 4).add(c01).intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      FloatVector.fromArray(S, out, o1).add(c10).intoArray(out, o1);
      FloatVector.fromArray(S, out, o1 + 4).add(c11).intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      FloatVector.fromArray(S, out, o2).add(c20).intoArray(out, o2);
      FloatVector.fromArray(S, out, o2 + 4).add(c21).intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      FloatVector.fromArray(S, out, o3).add(c30).intoArray(out, o3);
      FloatVector.fromArray(S, out, o3 + 4).add(c31).intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      FloatVector.fromArray(S, out, o4).add(c40).intoArray(out, o4);
      FloatVector.fromArray(S, out, o4 + 4).add(c41).intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      FloatVector.fromArray(S, out, o5).add(c50).intoArray(out, o5);
      FloatVector.fromArray(S, out, o5 + 4).add(c51).intoArray(out, o5 + 4);
    } else {
      int o0 = o;
      c00.intoArray(out, o0);
      c01.intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      c10.intoArray(out, o1);
      c11.intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      c20.intoArray(out, o2);
      c21.intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      c30.intoArray(out, o3);
      c31.intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      c40.intoArray(out, o4);
      c41.intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      c50.intoArray(out, o5);
      c51.intoArray(out, o5 + 4);
    }
  }

  @Override
  void tilePacked(float[] a, int a0, float[] b, int b0, int k, float[] out, int o, int ldo, boolean acc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    for (int p = 0; p < k; p++) {
      int bp = b0 + p * NR;
      FloatVector bv0 = FloatVector.fromArray(S, b, bp);
      FloatVector bv1 = FloatVector.fromArray(S, b, bp + 4);
      FloatVector x0 = FloatVector.broadcast(S, a[a0 + p * MR + 0]);
      c00 = x0.fma(bv0, c00);
      c01 = x0.fma(bv1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[a0 + p * MR + 1]);
      c10 = x1.fma(bv0, c10);
      c11 = x1.fma(bv1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[a0 + p * MR + 2]);
      c20 = x2.fma(bv0, c20);
      c21 = x2.fma(bv1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[a0 + p * MR + 3]);
      c30 = x3.fma(bv0, c30);
      c31 = x3.fma(bv1, c31);
      FloatVector x4 = FloatVector.broadcast(S, a[a0 + p * MR + 4]);
      c40 = x4.fma(bv0, c40);
      c41 = x4.fma(bv1, c41);
      FloatVector x5 = FloatVector.broadcast(S, a[a0 + p * MR + 5]);
      c50 = x5.fma(bv0, c50);
      c51 = x5.fma(bv1, c51);
    }
    if (acc) {
      int o0 = o;
      FloatVector.fromArray(S, out, o0).add(c00).intoArray(out, o0);
      FloatVector.fromArray(S, out, o0 + 4).add(c01).intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      FloatVector.fromArray(S, out, o1).add(c10).intoArray(out, o1);
      FloatVector.fromArray(S, out, o1 + 4).add(c11).intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      FloatVector.fromArray(S, out, o2).add(c20).intoArray(out, o2);
      FloatVector.fromArray(S, out, o2 + 4).add(c21).intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      FloatVector.fromArray(S, out, o3).add(c30).intoArray(out, o3);
      FloatVector.fromArray(S, out, o3 + 4).add(c31).intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      FloatVector.fromArray(S, out, o4).add(c40).intoArray(out, o4);
      FloatVector.fromArray(S, out, o4 + 4).add(c41).intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      FloatVector.fromArray(S, out, o5).add(c50).intoArray(out, o5);
      FloatVector.fromArray(S, out, o5 + 4).add(c51).intoArray(out, o5 + 4);
    } else {
      int o0 = o;
      c00.intoArray(out, o0);
      c01.intoArray(out, o0 + 4);
      int o1 = o + 1 * ldo;
      c10.intoArray(out, o1);
      c11.intoArray(out, o1 + 4);
      int o2 = o + 2 * ldo;
      c20.intoArray(out, o2);
      c21.intoArray(out, o2 + 4);
      int o3 = o + 3 * ldo;
      c30.intoArray(out, o3);
      c31.intoArray(out, o3 + 4);
      int o4 = o + 4 * ldo;
      c40.intoArray(out, o4);
      c41.intoArray(out, o4 + 4);
      int o5 = o + 5 * ldo;
      c50.intoArray(out, o5);
      c51.intoArray(out, o5 + 4);
    }
  }
}
