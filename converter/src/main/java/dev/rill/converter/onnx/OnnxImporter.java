package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.OperatorSetIdProto;
import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.RillModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts an ONNX model into a Rill model.
 *
 * <pre>{@code
 * RillModel whole = OnnxImporter.importModel(Path.of("model.onnx"), OnnxImportOptions.defaults());
 * RillModel lstm = OnnxImporter.importModel(Path.of("silero_vad.onnx"),
 *     OnnxImportOptions.builder().nodes(List.of("/model/decoder/rnn/LSTM")).build());
 * }</pre>
 *
 * <p><b>Whole graph</b> (no nodes given): the data path from the graph input to the graph output must consist
 * of LSTM/GRU/RNN nodes (every attribute of opsets 7 to 22), an optional Embedding (Gather on an
 * initializer) first, Dense layers (MatMul [+ Add], Gemm) with an output activation (Softmax, LogSoftmax,
 * Sigmoid, Tanh), and the reshaping nodes exporters put between them (Transpose, Squeeze, Unsqueeze, Reshape,
 * Flatten, Identity, Dropout). Weights may be computed from initializers by constant subexpressions (Slice,
 * Concat, Gather, Transpose, Cast, ...), which are folded. Any other operator fails the import with a message
 * naming the operators and their nodes.
 *
 * <p><b>Selected nodes</b> ({@link OnnxImportOptions#nodes()}, the CLI's {@code --node NAME}): only these
 * recurrent nodes, found anywhere in the model including {@code If} branches, stacked in the given order; their
 * weights are folded from whatever constants they need. The rest of the graph is left to the user.
 *
 * <p>Initial states and sequence lengths are not part of a Rill model: when a recurrent node takes
 * {@code initial_h}, {@code initial_c} or {@code sequence_lens} from a graph input (directly or through Identity
 * and Cast nodes), the metadata key {@code onnx.layer.<k>.<input>} records it, and the caller passes the values at
 * run time ({@code SequenceBatch.withInitialState}, {@code withLengths}). A non-zero constant initial state is
 * refused. Final-state graph outputs (Y_h, Y_c, PyTorch's h_n/c_n) are recorded as {@code onnx.output.<name>},
 * not taken for data; the final hidden state of a forward last layer is the output only when nothing else is
 * (many-to-one; see the package documentation). The metadata also records the source file ({@code source}),
 * producer and opset, and the node of each layer.
 */
public final class OnnxImporter {

  /** Oldest default-domain opset accepted; LSTM, GRU and RNN have kept their attributes since opset 7. */
  public static final int MIN_OPSET = 7;

  private OnnxImporter() {}

  /**
   * Imports {@code onnx} with the default options.
   *
   * @param onnx path of the {@code .onnx} file; external data resolves relative to its folder
   * @return the validated Rill model
   * @throws OnnxImportException if the file is malformed or the graph cannot be converted
   */
  public static RillModel importModel(Path onnx) throws OnnxImportException {
    return importModel(onnx, OnnxImportOptions.defaults());
  }

  /**
   * Imports {@code onnx}.
   *
   * @param onnx path of the {@code .onnx} file; external data resolves relative to its folder
   * @param options which nodes to import, weight storage type, limits
   * @return the validated Rill model
   * @throws OnnxImportException if the file is malformed or the graph cannot be converted; the message names the
   *     node, tensor or operator and what is wrong
   */
  public static RillModel importModel(Path onnx, OnnxImportOptions options) throws OnnxImportException {
    ModelProto model = OnnxFiles.readModel(onnx);
    Path dir = onnx.toAbsolutePath().getParent();
    return importGraph(model, dir, onnx.getFileName().toString(), options, Map.of()).model();
  }

  /** A converted model and the recurrent nodes behind its recurrent layers, in order. */
  record Imported(RillModel model, List<RecurrentNode> recurrent) {}

  /**
   * Converts a parsed model.
   *
   * @param feeds graph inputs to treat as constants (the conformance runner's weights)
   */
  static Imported importGraph(ModelProto model, Path modelDir, String source, OnnxImportOptions options,
      Map<String, ConstTensor> feeds) throws OnnxImportException {
    int opset = defaultOpset(model);
    GraphScope root = new GraphScope(model.getGraph(), null, "main graph");
    ConstantFolder folder = new ConstantFolder(modelDir, options.maxTensorElements(), feeds);
    ModelBuilder builder = ModelBuilder.create().weightType(options.weightType());
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("source", source);
    metadata.put("converter", "rill onnx importer");
    metadata.put("onnx.producer", (model.getProducerName() + " " + model.getProducerVersion()).trim());
    metadata.put("onnx.opset", Integer.toString(opset));
    List<RecurrentNode> recurrent = new ArrayList<>();
    String inputName;
    String outputName;
    String description;
    try {
      if (options.nodes().isEmpty()) {
        GraphWalker.Plan plan = new GraphWalker(root, folder, opset).walk();
        inputName = plan.inputName();
        outputName = plan.outputName();
        description = plan.lastStep() ? "the ONNX graph outputs only the last step; Rill outputs every step"
            : "imported from the whole ONNX graph";
        if (plan.tokens()) {
          GraphWalker.Embedding e = (GraphWalker.Embedding) plan.layers().get(0);
          builder.embedding(e.vocab(), e.dim(), e.weight());
        } else {
          builder.input(plan.inputSize());
        }
        Set<String> names = new HashSet<>();
        int dense = 0;
        for (GraphWalker.LayerPlan layer : plan.layers()) {
          if (layer instanceof GraphWalker.Recurrent r) {
            String name = layerName(r.node().node(), r.node().op(), recurrent.size(), names);
            metadata.put("onnx.layer." + recurrent.size() + ".node", r.node().node().getName());
            r.node().addTo(builder, name);
            recurrent.add(r.node());
          } else if (layer instanceof GraphWalker.Dense d) {
            String name = uniqueName(d.nodeName.isEmpty() ? "dense_" + dense : d.nodeName, names);
            dense++;
            builder.dense(name, d.out, d.weight, d.bias, d.activation);
          }
        }
        metadata.putAll(plan.notes());
      } else {
        List<RecurrentNode> nodes = selectNodes(root, folder, options.nodes());
        RecurrentNode first = nodes.get(0);
        inputName = first.x();
        outputName = nodes.get(nodes.size() - 1).y();
        description = "recurrent node(s) " + options.nodes() + " of the ONNX graph";
        builder.input(first.inputSize());
        Set<String> names = new HashSet<>();
        int width = first.inputSize();
        for (RecurrentNode rn : nodes) {
          String what = NodeAttributes.describe(rn.node());
          if (rn.inputSize() != width) {
            throw new OnnxImportException(what + " takes " + rn.inputSize() + " inputs, but the layer before it "
                + "outputs " + width + " values per step");
          }
          int k = recurrent.size();
          metadata.put("onnx.layer." + k + ".node", rn.node().getName());
          noteState(metadata, k, "initial_h", rn.initialH());
          noteState(metadata, k, "initial_c", rn.initialC());
          noteState(metadata, k, "sequence_lens", rn.sequenceLens());
          if (rn.layout() == 1) {
            metadata.put("onnx.layer." + k + ".layout", "1: the ONNX node's X and Y are batch-major [N, T, ...]; "
                + "Rill sequences are time-major [T, N, ...]");
          }
          rn.addTo(builder, layerName(rn.node(), rn.op(), k, names));
          recurrent.add(rn);
          width = rn.directions() * rn.hidden();
        }
      }
      metadata.forEach(builder::metadata);
      builder.io(inputName.isEmpty() ? "input" : inputName, outputName.isEmpty() ? "output" : outputName,
          description);
      return new Imported(builder.build(), recurrent);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new OnnxImportException("the imported model is not valid: " + e.getMessage(), e);
    }
  }

  private static void noteState(Map<String, String> metadata, int layer, String role, String value) {
    if (!value.isEmpty()) {
      metadata.put("onnx.layer." + layer + "." + role, "'" + value + "' (pass it at run time)");
    }
  }

  private static List<RecurrentNode> selectNodes(GraphScope root, ConstantFolder folder, List<String> wanted)
      throws OnnxImportException {
    List<GraphScope.Located> all = root.allNodes();
    List<RecurrentNode> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String name : wanted) {
      if (!seen.add(name)) {
        throw new OnnxImportException("node '" + name + "' is named twice");
      }
      List<GraphScope.Located> matches = all.stream().filter(l -> l.node().getName().equals(name)).toList();
      if (matches.isEmpty()) {
        List<String> candidates = all.stream().map(GraphScope.Located::node)
            .filter(n -> RecurrentNode.OPS.contains(n.getOpType())).map(n -> "'" + n.getName() + "'").toList();
        throw new OnnxImportException("no node named '" + name + "' in the model; recurrent nodes: "
            + (candidates.isEmpty() ? "none" : String.join(", ", candidates)));
      }
      if (matches.size() > 1) {
        throw new OnnxImportException(matches.size() + " nodes are named '" + name + "'; the name is ambiguous");
      }
      GraphScope.Located l = matches.get(0);
      NodeProto node = l.node();
      if (!RecurrentNode.OPS.contains(node.getOpType())) {
        throw new OnnxImportException("node '" + name + "' is a " + node.getOpType()
            + " node; only LSTM, GRU and RNN nodes can be imported by name");
      }
      out.add(RecurrentNode.parse(node, l.scope(), folder));
    }
    return out;
  }

  private static String layerName(NodeProto node, String op, int index, Set<String> used) {
    String base = node.getName().isEmpty() ? op.toLowerCase(java.util.Locale.ROOT) + "_" + index : node.getName();
    return uniqueName(base, used);
  }

  private static String uniqueName(String base, Set<String> used) {
    String name = base;
    for (int i = 1; !used.add(name) || name.equals("input") || name.equals("embedding"); i++) {
      name = base + "_" + i;
    }
    return name;
  }

  /** The version of the default ONNX operator set, checked. */
  static int defaultOpset(ModelProto model) throws OnnxImportException {
    long version = -1;
    for (OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        version = id.getVersion();
      }
    }
    if (version < 0) {
      throw new OnnxImportException("the model imports no default ONNX operator set (opset_import has no domain "
          + "\"\" or \"ai.onnx\")");
    }
    if (version < MIN_OPSET) {
      throw new OnnxImportException("the model uses ONNX opset " + version + "; the importer supports opset "
          + MIN_OPSET + " and later (convert it with onnx.version_converter)");
    }
    return (int) Math.min(version, Integer.MAX_VALUE);
  }
}
