namespace MobileNetAccel.Formats.TFLite;

/// <summary>
/// Facts of the public TFLite FlatBuffers schema (schema.fbs) this reader uses: field indices of the tables, enum
/// values, union type ids. Field i of a table lives at vtable slot 4 + 2·i.
/// </summary>
internal static class TfliteSchema
{
    public const string FileIdentifier = "TFL3";

    // table Model
    public const int ModelVersion = 0, ModelOperatorCodes = 1, ModelSubgraphs = 2, ModelDescription = 3, ModelBuffers = 4;
    // table OperatorCode
    public const int OpCodeDeprecatedBuiltin = 0, OpCodeCustom = 1, OpCodeVersion = 2, OpCodeBuiltin = 3;
    // table SubGraph
    public const int SubGraphTensors = 0, SubGraphInputs = 1, SubGraphOutputs = 2, SubGraphOperators = 3, SubGraphName = 4;
    // table Tensor
    public const int TensorShape = 0, TensorType = 1, TensorBuffer = 2, TensorName = 3, TensorQuantization = 4, TensorSparsity = 6;
    // table Buffer
    public const int BufferData = 0, BufferOffset = 1, BufferSize = 2;
    // table Operator
    public const int OperatorOpcodeIndex = 0, OperatorInputs = 1, OperatorOutputs = 2, OperatorOptionsType = 3, OperatorOptions = 4;
    // (the builtin_options union takes two slots, 3 and 4; custom_options is a [ubyte], its format an enum byte)
    public const int OperatorCustomOptions = 5, OperatorCustomOptionsFormat = 6;
    // enum CustomOptionsFormat
    public const int CustomOptionsFlexBuffers = 0;
    // table QuantizationParameters
    public const int QuantMin = 0, QuantMax = 1, QuantScale = 2, QuantZeroPoint = 3, QuantDetailsType = 4, QuantDimension = 6;

    // enum TensorType
    public const int TypeFloat32 = 0, TypeFloat16 = 1, TypeInt32 = 2, TypeUInt8 = 3, TypeInt64 = 4, TypeInt8 = 9;

    public static string TypeName(int t) => t switch
    {
        0 => "FLOAT32",
        1 => "FLOAT16",
        2 => "INT32",
        3 => "UINT8",
        4 => "INT64",
        5 => "STRING",
        6 => "BOOL",
        7 => "INT16",
        8 => "COMPLEX64",
        9 => "INT8",
        10 => "FLOAT64",
        11 => "COMPLEX128",
        12 => "UINT64",
        13 => "RESOURCE",
        14 => "VARIANT",
        15 => "UINT32",
        16 => "UINT16",
        17 => "INT4",
        18 => "BFLOAT16",
        _ => $"type {t}",
    };

    // enum BuiltinOperator (the ones read, and names for common others in error messages)
    public const int Add = 0, AveragePool2D = 1, Concatenation = 2, Conv2D = 3, DepthwiseConv2D = 4, Dequantize = 6, FullyConnected = 9,
        Relu = 19, Relu6 = 21, Reshape = 22, ResizeBilinear = 23, Softmax = 25, Pad = 34, Mean = 40, Squeeze = 43, ArgMax = 56, ArgMin = 79,
        Quantize = 114, Logistic = 14, Custom = 32;

    public static string OperatorName(int code) => code switch
    {
        0 => "ADD",
        1 => "AVERAGE_POOL_2D",
        2 => "CONCATENATION",
        3 => "CONV_2D",
        4 => "DEPTHWISE_CONV_2D",
        5 => "DEPTH_TO_SPACE",
        6 => "DEQUANTIZE",
        7 => "EMBEDDING_LOOKUP",
        8 => "FLOOR",
        9 => "FULLY_CONNECTED",
        11 => "L2_NORMALIZATION",
        12 => "L2_POOL_2D",
        13 => "LOCAL_RESPONSE_NORMALIZATION",
        14 => "LOGISTIC",
        16 => "LSTM",
        17 => "MAX_POOL_2D",
        18 => "MUL",
        19 => "RELU",
        20 => "RELU_N1_TO_1",
        21 => "RELU6",
        22 => "RESHAPE",
        23 => "RESIZE_BILINEAR",
        25 => "SOFTMAX",
        26 => "SPACE_TO_DEPTH",
        28 => "TANH",
        31 => "CALL",
        32 => "CUSTOM",
        34 => "PAD",
        36 => "GATHER",
        37 => "BATCH_TO_SPACE_ND",
        38 => "SPACE_TO_BATCH_ND",
        39 => "TRANSPOSE",
        40 => "MEAN",
        41 => "SUB",
        42 => "DIV",
        43 => "SQUEEZE",
        45 => "STRIDED_SLICE",
        47 => "EXP",
        49 => "SPLIT",
        53 => "CAST",
        54 => "PRELU",
        55 => "MAXIMUM",
        56 => "ARG_MAX",
        57 => "MINIMUM",
        58 => "LESS",
        60 => "PADV2",
        65 => "SLICE",
        67 => "TRANSPOSE_CONV",
        70 => "EXPAND_DIMS",
        74 => "SUM",
        75 => "SQRT",
        77 => "SHAPE",
        78 => "POW",
        79 => "ARG_MIN",
        83 => "PACK",
        88 => "UNPACK",
        92 => "SQUARE",
        97 => "RESIZE_NEAREST_NEIGHBOR",
        98 => "LEAKY_RELU",
        114 => "QUANTIZE",
        117 => "HARD_SWISH",
        126 => "BATCH_MATMUL",
        _ => $"builtin operator {code}",
    };

    /// <summary>Highest operator version of each supported builtin this reader accepts (versions add data types and
    /// options; the reader checks the types and options itself, so these bounds only reject versions newer than the
    /// schema facts it was written from).</summary>
    public static int MaxVersion(int code) => code switch
    {
        Add => 5,
        AveragePool2D => 3,
        Concatenation => 3,
        ResizeBilinear => 4,
        ArgMax => 3,
        ArgMin => 3,
        Conv2D => 8,
        DepthwiseConv2D => 7,
        Dequantize => 6,
        FullyConnected => 12,
        Relu => 3,
        Relu6 => 2,
        Reshape => 1,
        Softmax => 3,
        Pad => 4,
        Mean => 3,
        Squeeze => 2,
        Quantize => 3,
        Logistic => 3,
        Custom => 1,
        _ => 0,
    };

    // union BuiltinOptions type ids
    public const int OptConv2D = 1, OptDepthwiseConv2D = 2, OptPool2D = 5, OptFullyConnected = 8, OptSoftmax = 9,
        OptConcatenation = 10, OptAdd = 11, OptResizeBilinear = 15, OptReshape = 17, OptPad = 22, OptReducer = 27,
        OptSqueeze = 30, OptArgMax = 40, OptArgMin = 57;

    // Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w_factor, dilation_h_factor
    public const int ConvPadding = 0, ConvStrideW = 1, ConvStrideH = 2, ConvActivation = 3, ConvDilationW = 4, ConvDilationH = 5;
    // DepthwiseConv2DOptions
    public const int DwPadding = 0, DwStrideW = 1, DwStrideH = 2, DwMultiplier = 3, DwActivation = 4, DwDilationW = 5, DwDilationH = 6;
    // Pool2DOptions
    public const int PoolPadding = 0, PoolStrideW = 1, PoolStrideH = 2, PoolFilterW = 3, PoolFilterH = 4, PoolActivation = 5;
    // FullyConnectedOptions
    public const int FcActivation = 0, FcWeightsFormat = 1, FcKeepNumDims = 2;
    // SoftmaxOptions
    public const int SoftmaxBeta = 0;
    // AddOptions
    public const int AddActivation = 0;
    // ReducerOptions
    public const int ReducerKeepDims = 0;
    // ConcatenationOptions: axis, fused_activation_function
    public const int ConcatAxis = 0, ConcatActivation = 1;
    // ResizeBilinearOptions: new_height (deprecated), new_width (deprecated), align_corners, half_pixel_centers
    public const int ResizeAlignCorners = 2, ResizeHalfPixelCenters = 3;
    // ArgMaxOptions and ArgMinOptions: output_type (a TensorType)
    public const int ArgMaxOutputType = 0;

    // enum Padding
    public const int PaddingSame = 0, PaddingValid = 1;
    // enum ActivationFunctionType
    public const int ActNone = 0, ActRelu = 1, ActReluN1To1 = 2, ActRelu6 = 3, ActTanh = 4, ActSignBit = 5;
}
