package dev.rill.cli;

import dev.rill.converter.onnx.OnnxImportOptions;
import dev.rill.converter.onnx.OnnxImporter;
import dev.rill.converter.pytorch.ArchitectureSpec;
import dev.rill.converter.pytorch.Nonlinearity;
import dev.rill.converter.pytorch.PyTorchImportOptions;
import dev.rill.converter.pytorch.PyTorchImporter;
import dev.rill.format.ModelWriter;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rill convert}: imports an ONNX model or PyTorch safetensors weights and writes a {@code .rill} file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = {"Converts an ONNX model or PyTorch weights (safetensors) to a Rill model.", "",
        "Examples:",
        "  rill convert model.onnx -o model.rill",
        "  rill convert silero_vad.onnx --node /decoder/rnn/LSTM -o vad_lstm.rill",
        "  rill convert weights.safetensors -o model.rill --weights bf16",
        "  rill convert weights.safetensors --spec spec.json -o model.rill"})
final class ConvertCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "The ONNX model (.onnx) or safetensors file (.safetensors).")
  Path input;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.rill", description = "The Rill model to write (atomically).")
  Path output;

  @Option(names = "--from", paramLabel = "FORMAT",
      description = "onnx or safetensors; by default taken from IN's extension.")
  SourceFormat from;

  @Option(names = "--node", paramLabel = "NAME",
      description = "ONNX only, repeatable: import just these recurrent nodes, stacked in the order given, and the constants they need.")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--weights", paramLabel = "TYPE", defaultValue = "f32",
      description = "How weight matrices are stored: f32 (default), bf16 or int8 (per-row scales). Biases stay f32.")
  WeightChoice weights;

  @Option(names = "--spec", paramLabel = "FILE",
      description = "safetensors only: a JSON file listing the modules in order (see docs/cli.md), when names and shapes are ambiguous.")
  Path specFile;

  @Option(names = "--rnn-nonlinearity", paramLabel = "tanh|relu", defaultValue = "tanh",
      description = "safetensors only: the nonlinearity of nn.RNN/nn.RNNCell modules (not recorded in the weights). Default tanh.")
  String rnnNonlinearity;

  @Option(names = "--output-activation", paramLabel = "NAME", defaultValue = "none",
      description = "safetensors only: activation after the last nn.Linear: none (default), softmax, log_softmax, sigmoid or tanh.")
  String outputActivation;

  @Override
  public Integer call() throws Exception {
    SourceFormat format = from != null ? from : SourceFormat.ofFileName(input);
    if (format == null) {
      throw new ParameterException(spec.commandLine(), "cannot tell the format of " + input + " from its extension; give --from onnx or --from safetensors");
    }
    RillModel model = switch (format) {
      case ONNX -> convertOnnx();
      case SAFETENSORS -> convertSafetensors();
    };
    ModelWriter.write(model, output);
    spec.commandLine().getOut().println("wrote " + output + ": " + ModelSummary.oneLine(model));
    return 0;
  }

  private RillModel convertOnnx() throws Exception {
    if (specFile != null || !rnnNonlinearity.equals("tanh") || !outputActivation.equals("none")) {
      throw new ParameterException(spec.commandLine(), "--spec, --rnn-nonlinearity and --output-activation apply to safetensors input only");
    }
    return OnnxImporter.importModel(input, OnnxImportOptions.builder().nodes(nodes).weightType(weights.dataType).build());
  }

  private RillModel convertSafetensors() throws Exception {
    if (!nodes.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--node applies to ONNX input only");
    }
    Nonlinearity nonlinearity;
    OutputActivation activation;
    try {
      nonlinearity = ArchitectureSpec.nonlinearity(rnnNonlinearity, "--rnn-nonlinearity");
      activation = ArchitectureSpec.outputActivation(outputActivation, "--output-activation");
    } catch (Exception e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PyTorchImportOptions options = PyTorchImportOptions.defaults()
        .withRnnNonlinearity(nonlinearity)
        .withOutputActivation(activation)
        .withWeightType(weights.dataType);
    if (specFile != null) {
      options = options.withSpec(ArchitectureSpec.read(specFile));
    }
    return PyTorchImporter.importModel(input, options);
  }
}
