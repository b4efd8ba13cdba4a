package dev.rill.trainer.math;

/**
 * The reference product: plain loops, each element of c summed over k in increasing order, a multiply then an
 * add per term, in float. Packs b column by column (panels of one column). Thread-safe.
 */
final class ScalarGemm extends AbstractGemm {

  static final ScalarGemm INSTANCE = new ScalarGemm();

  private ScalarGemm() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  int panelWidth() {
    return 1;
  }

  @Override
  boolean acceptsPanelWidth(int width) {
    return true;
  }

  @Override
  void compute(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate, int part,
      int parts) {
    int m = c.rows();
    int n = c.cols();
    int k = b.rows();
    int i0 = (int) ((long) m * part / parts);
    int i1 = (int) ((long) m * (part + 1) / parts);
    float[] ad = a.data();
    float[] bd = b.data();
    float[] cd = c.data();
    int rowStep = transposeA ? 1 : a.stride();
    int colStep = transposeA ? a.stride() : 1;
    int w = b.panelWidth();
    for (int i = i0; i < i1; i++) {
      int aRow = a.offset() + i * rowStep;
      int cRow = c.offset() + i * c.stride();
      for (int j = 0; j < n; j++) {
        int bCol = b.index(0, j);
        float sum = 0f;
        for (int p = 0; p < k; p++) {
          sum += ad[aRow + p * colStep] * bd[bCol + p * w];
        }
        cd[cRow + j] = accumulate ? cd[cRow + j] + sum : sum;
      }
    }
  }
}
