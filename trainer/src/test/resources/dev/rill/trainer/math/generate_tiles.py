"""Writes the register-tile classes VectorGemm512/256/128 of dev.rill.trainer.math.

Usage: python3 generate_tiles.py trainer/src/main/java/dev/rill/trainer/math 8 2
(the 512-bit tile's rows and vectors; 256 and 128 bits use 6 rows x 2 vectors).
"""
import sys
def gen(bits, mr, nv, suffix=""):
    L = bits // 32
    nr = nv * L
    cls = f"VectorGemm{bits}{suffix}"
    o = []
    w = o.append
    w("package dev.rill.trainer.math;")
    w("")
    w("import jdk.incubator.vector.FloatVector;")
    w("import jdk.incubator.vector.VectorSpecies;")
    w("")
    w("/**")
    w(f" * The {bits}-bit tiles: {mr} rows by {nv} vectors of {L} floats ({mr * nv} accumulators). Generated code: the")
    w(" * tile is written out so that every vector stays in a register (no vector crosses a method call). Regenerate with")
    w(" * trainer/src/test/resources/dev/rill/trainer/math/generate_tiles.py, not by hand.")
    w(" */")
    w(f"final class {cls} extends VectorGemm {{")
    w("")
    w(f"  static final {cls} INSTANCE = new {cls}();")
    w("")
    w(f"  private static final VectorSpecies<Float> S = FloatVector.SPECIES_{bits};")
    w(f"  private static final int L = {L};")
    w(f"  private static final int MR = {mr};")
    w(f"  private static final int NR = {nr};")
    w("")
    w(f"  private {cls}() {{}}")
    w("")
    w("  @Override")
    w("  public String name() {")
    w(f"    return \"vector-{bits}\";")
    w("  }")
    w("")
    w("  @Override")
    w("  int mr() {")
    w("    return MR;")
    w("  }")
    w("")
    w("  @Override")
    w("  int nr() {")
    w("    return NR;")
    w("  }")
    w("")
    def body(load):
        for r in range(mr):
            for v in range(nv):
                w(f"    FloatVector c{r}{v} = FloatVector.zero(S);")
        w("    for (int p = 0; p < k; p++) {")
        w("      int bp = b0 + p * NR;")
        for v in range(nv):
            w(f"      FloatVector bv{v} = FloatVector.fromArray(S, b, bp + {v * L});" if v else f"      FloatVector bv{v} = FloatVector.fromArray(S, b, bp);")
        for r in range(mr):
            w(f"      FloatVector x{r} = FloatVector.broadcast(S, {load(r)});")
            for v in range(nv):
                w(f"      c{r}{v} = x{r}.fma(bv{v}, c{r}{v});")
        w("    }")
        w("    if (acc) {")
        for r in range(mr):
            w(f"      int o{r} = o + {r} * ldo;" if r else "      int o0 = o;")
            for v in range(nv):
                idx = f"o{r} + {v * L}" if v else f"o{r}"
                w(f"      FloatVector.fromArray(S, out, {idx}).add(c{r}{v}).intoArray(out, {idx});")
        w("    } else {")
        for r in range(mr):
            w(f"      int o{r} = o + {r} * ldo;" if r else "      int o0 = o;")
            for v in range(nv):
                idx = f"o{r} + {v * L}" if v else f"o{r}"
                w(f"      c{r}{v}.intoArray(out, {idx});")
        w("    }")
    w("  @Override")
    w("  void tileRows(float[] a, int a0, int lda, int rows, float[] b, int b0, int k, float[] out, int o, int ldo,")
    w("      boolean acc) {")
    w("    int last = rows - 1;")
    for r in range(mr):
        w(f"    int r{r} = a0 + Math.min({r}, last) * lda;" if r else "    int r0 = a0;")
    body(lambda r: f"a[r{r} + p]")
    w("  }")
    w("")
    w("  @Override")
    w("  void tileColumns(float[] a, int a0, int lda, float[] b, int b0, int k, float[] out, int o, int ldo, boolean acc) {")
    body(lambda r: f"a[a0 + p * lda + {r}]")
    w("  }")
    w("")
    w("  @Override")
    w("  void tilePacked(float[] a, int a0, float[] b, int b0, int k, float[] out, int o, int ldo, boolean acc) {")
    body(lambda r: f"a[a0 + p * MR + {r}]")
    w("  }")
    w("}")
    return "\n".join(o) + "\n"
d = sys.argv[1]
if len(sys.argv) > 4:
    bits, mr, nv, suffix = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    open(f"{d}/VectorGemm{bits}{suffix}.java", "w").write(gen(bits, mr, nv, suffix))
else:
  for bits, mr, nv in [(512, int(sys.argv[2]), int(sys.argv[3])), (256, 6, 2), (128, 6, 2)]:
    open(f"{d}/VectorGemm{bits}.java", "w").write(gen(bits, mr, nv))
