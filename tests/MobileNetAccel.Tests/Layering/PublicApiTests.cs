using MobileNetAccel.Backends;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Layering;

/// <summary>
/// The public surface of the core assembly is a decision, not an accident: what a user needs (Model, InferenceSession,
/// SessionOptions, TensorInfo, the placement report, imaging, the zoo, exceptions), what a backend in another assembly
/// needs (the contract in Backends, the IR in Graph) and the device/selection types the CLI's compare and devices
/// commands use. Everything else is internal (tests and the backend assemblies see it through InternalsVisibleTo).
/// A type added to or removed from this list must be a deliberate change of this test.
/// </summary>
[TestFixture]
public class PublicApiTests
{
    private static readonly string[] Expected =
    {
        "MobileNetAccel.Backends.ArenaSlot",
        "MobileNetAccel.Backends.BackendPriority",
        "MobileNetAccel.Backends.BackendRegistry",
        "MobileNetAccel.Backends.CompileOptions",
        "MobileNetAccel.Backends.CpuCache",
        "MobileNetAccel.Backends.CpuInfo",
        "MobileNetAccel.Backends.DeviceInfo",
        "MobileNetAccel.Backends.DeviceKind",
        "MobileNetAccel.Backends.HostCpuDevice",
        "MobileNetAccel.Backends.IArena",
        "MobileNetAccel.Backends.IBackend",
        "MobileNetAccel.Backends.ICompiledPartition",
        "MobileNetAccel.Backends.IProfiledPartition",
        "MobileNetAccel.Backends.MemoryPlan",
        "MobileNetAccel.Backends.Native.NativeCpuBackend",
        "MobileNetAccel.Backends.Partition",
        "MobileNetAccel.Backends.Reference.ReferenceBackend",
        "MobileNetAccel.Classification",
        "MobileNetAccel.Classifier",
        "MobileNetAccel.Detection",
        "MobileNetAccel.Detector",
        "MobileNetAccel.Execution.BackendSelector",
        "MobileNetAccel.Execution.BackendTarget",
        "MobileNetAccel.Execution.DeviceCatalog",
        "MobileNetAccel.Execution.DeviceEntry",
        "MobileNetAccel.Execution.MemoryLimitException",
        "MobileNetAccel.Execution.NodePlacement",
        "MobileNetAccel.Execution.PartitionPlacement",
        "MobileNetAccel.Execution.PlacementReport",
        "MobileNetAccel.Execution.ProfileReport",
        "MobileNetAccel.Execution.ProfileRow",
        "MobileNetAccel.Execution.SelectionOptions",
        "MobileNetAccel.Execution.SelectionPlan",
        "MobileNetAccel.Execution.Transfer",
        "MobileNetAccel.Formats.ModelFormatException",
        "MobileNetAccel.Graph.Activation",
        "MobileNetAccel.Graph.ActivationExtensions",
        "MobileNetAccel.Graph.ActivationNode",
        "MobileNetAccel.Graph.AddNode",
        "MobileNetAccel.Graph.ArgMaxNode",
        "MobileNetAccel.Graph.AveragePool2DNode",
        "MobileNetAccel.Graph.BatchNormNode",
        "MobileNetAccel.Graph.BinaryNode",
        "MobileNetAccel.Graph.ClipNode",
        "MobileNetAccel.Graph.ConcatNode",
        "MobileNetAccel.Graph.Conv2DNode",
        "MobileNetAccel.Graph.DataType",
        "MobileNetAccel.Graph.DataTypeExtensions",
        "MobileNetAccel.Graph.DepthwiseConv2DNode",
        "MobileNetAccel.Graph.DequantizeNode",
        "MobileNetAccel.Graph.DetectionPostProcessNode",
        "MobileNetAccel.Graph.DetectionPostProcessOptions",
        "MobileNetAccel.Graph.FullyConnectedNode",
        "MobileNetAccel.Graph.GlobalAveragePoolNode",
        "MobileNetAccel.Graph.GraphException",
        "MobileNetAccel.Graph.InvertedResidualNode",
        "MobileNetAccel.Graph.LogisticNode",
        "MobileNetAccel.Graph.MatMulNode",
        "MobileNetAccel.Graph.ModelGraph",
        "MobileNetAccel.Graph.MulNode",
        "MobileNetAccel.Graph.Node",
        "MobileNetAccel.Graph.OpType",
        "MobileNetAccel.Graph.Padding",
        "MobileNetAccel.Graph.PadNode",
        "MobileNetAccel.Graph.QuantizationParameters",
        "MobileNetAccel.Graph.QuantizedInvertedResidualNode",
        "MobileNetAccel.Graph.QuantizeNode",
        "MobileNetAccel.Graph.ReshapeNode",
        "MobileNetAccel.Graph.ResizeBilinearNode",
        "MobileNetAccel.Graph.SoftmaxNode",
        "MobileNetAccel.Graph.TransposeNode",
        "MobileNetAccel.Graph.UnaryNode",
        "MobileNetAccel.Graph.Value",
        "MobileNetAccel.Graph.WindowNode",
        "MobileNetAccel.ImageClassifier",
        "MobileNetAccel.Imaging.ImageFiles",
        "MobileNetAccel.Imaging.ImageFormatException",
        "MobileNetAccel.Imaging.ImageOps",
        "MobileNetAccel.Imaging.ImagePreprocessor",
        "MobileNetAccel.Imaging.NormalizationPreset",
        "MobileNetAccel.Imaging.PreprocessOptions",
        "MobileNetAccel.Imaging.ResizeMode",
        "MobileNetAccel.Imaging.RgbImage",
        "MobileNetAccel.Imaging.TorchvisionTransform",
        "MobileNetAccel.InferenceSession",
        "MobileNetAccel.Interop.NativeKernelException",
        "MobileNetAccel.Interop.NativeStatus",
        "MobileNetAccel.Model",
        "MobileNetAccel.Model+Zoo",
        "MobileNetAccel.Models.Architecture",
        "MobileNetAccel.Models.MobileNetV1",
        "MobileNetAccel.Models.MobileNetV2",
        "MobileNetAccel.Models.ModelZoo",
        "MobileNetAccel.NativeLibraryException",
        "MobileNetAccel.SegmentClass",
        "MobileNetAccel.SegmentationResult",
        "MobileNetAccel.Segmenter",
        "MobileNetAccel.SessionOptions",
        "MobileNetAccel.TensorInfo",
    };

    [Test]
    public void TheCoreAssemblyExportsExactlyTheListedTypes()
    {
        var actual = typeof(IBackend).Assembly.GetExportedTypes().Select(t => t.FullName!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var added = actual.Except(Expected).ToList();
        var removed = Expected.Except(actual).ToList();
        Assert.That(added, Is.Empty, $"newly public: {string.Join(", ", added)} (make it internal, or add it here on purpose)");
        Assert.That(removed, Is.Empty, $"no longer public: {string.Join(", ", removed)}");
        Assert.That(actual, Has.Count.EqualTo(99));
    }
}
