package dev.rill.trainer.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link FloatActivations} on the Vector API at the preferred width, the tail in scalar code; bitwise the same. */
final class VectorActivations extends FloatActivations {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  @Override
  public void apply(float[] x, int xOff, float[] y, int yOff, int n, float scale, float offset) {
    int bound = S.loopBound(n);
    int j = 0;
    for (; j < bound; j += S.length()) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + j).mul(scale);
      FloatVector x2 = v.mul(v);
      FloatVector p = x2.fma(A13, A11);
      p = p.fma(x2, FloatVector.broadcast(S, A9));
      p = p.fma(x2, FloatVector.broadcast(S, A7));
      p = p.fma(x2, FloatVector.broadcast(S, A5));
      p = p.fma(x2, FloatVector.broadcast(S, A3));
      p = p.fma(x2, FloatVector.broadcast(S, A1)).mul(v);
      FloatVector q = x2.fma(B6, B4);
      q = q.fma(x2, FloatVector.broadcast(S, B2));
      q = q.fma(x2, FloatVector.broadcast(S, B0));
      FloatVector one = v.reinterpretAsInts().and(0x8000_0000).or(0x3F80_0000).reinterpretAsFloats(); // ±1, the sign of v
      FloatVector t = p.div(q).blend(one, v.abs().compare(VectorOperators.GE, CLAMP));
      t.fma(scale, offset).intoArray(y, yOff + j);
    }
    super.apply(x, xOff + j, y, yOff + j, n - j, scale, offset);
  }
}
