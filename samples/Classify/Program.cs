using System;
using MobileNetAccel;
using MobileNetAccel.Imaging;

// Usage: Classify MODEL.tflite LABELS.txt PHOTO (JPEG, PNG or BMP); prints the top 5 classes, label_image style.
var model = Model.Load(args[0]);
using var session = new InferenceSession(model);
string[] labels = Classifier.AlignLabels(Classifier.LoadLabels(args[1]), session.Outputs[0].Shape[^1]);
var photo = RgbImage.Load(args[2]);
foreach (var (index, score) in Classifier.Classify(session, photo, k: 5))
    Console.WriteLine($"{score:F6}: {index} {labels[index]}");
