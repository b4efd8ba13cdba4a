/**
 * ONNX export: {@link dev.rill.converter.onnx.export.OnnxExporter} writes a Rill model as an ONNX model
 * (opset 17, IR version 8) that ONNX Runtime loads and that computes what Rill computes; the engine of
 * {@code rill export}.
 *
 * <p>What the graph looks like, and why:
 * <ul>
 *   <li>Time-major input [T, N, X] (int64 token ids [T, N] for token models), as the ONNX recurrent operators
 *       take it with their default layout 0. The exporter never writes layout 1: ONNX Runtime 1.29 refuses it.
 *   <li>One LSTM/GRU/RNN node per recurrent layer with W, R, B, P initializers copied unchanged (Rill's canonical
 *       layout is ONNX's), dequantised to float when stored as bfloat16 or int8. Attributes are written only when
 *       they differ from the ONNX defaults: {@code direction}, {@code hidden_size}, {@code clip},
 *       {@code input_forget}, {@code linear_before_reset}, {@code activations}.
 *   <li>{@code activation_alpha}/{@code activation_beta} list values only for the functions that take them, in
 *       order (LeakyRelu, ThresholdedRelu, Elu: alpha; HardSigmoid, ScaledTanh, Affine: alpha and beta). This is
 *       how ONNX Runtime consumes them; a list with one entry per function would shift the values. They are
 *       always explicit, because ONNX Runtime's defaults for Affine and ScaledTanh are 0, not the 1 of Rill.
 *   <li>A MINIMAL_GRU has no ONNX operator and becomes a GRU whose reset gate is saturated at 1 and whose update
 *       gate is the complement of Rill's (negated weights). This needs an update activation of Sigmoid or
 *       HardSigmoid (alpha &gt; 0) and no clip; other minimal GRUs are refused with a message naming the layer.
 *   <li>{@link dev.rill.converter.onnx.export.ExportOptions} adds initial-state inputs, a {@code sequence_lens}
 *       input, and final-state outputs (on by default). {@code OnnxImporter} reads every variant back, taking the
 *       final-state outputs for what they are, except {@code sequence_lens} together with Dense layers: the mask
 *       the exporter then adds after them is out of the importer's scope.
 * </ul>
 *
 * <p>The ORT-oracle tests ({@code dev.rill.tests.OnnxExportOracleTest}) run exported models in ONNX Runtime Java
 * against Rill for every cell, direction and attribute, with |ort - rill| &lt;= 1e-6 + 1e-5 |rill|.
 */
package dev.rill.converter.onnx.export;
