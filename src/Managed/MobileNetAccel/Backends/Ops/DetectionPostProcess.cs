using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Ops;

/// <summary>The four outputs of <see cref="DetectionPostProcess"/>: boxes [N,4] (ymin, xmin, ymax, xmax), classes [N]
/// (0-based, background excluded), scores [N] and count [1], N = <see cref="DetectionPostProcessOptions.OutputRows"/>.
/// Rows past the count are zero.</summary>
internal sealed record DetectionOutputs(float[] Boxes, float[] Classes, float[] Scores, float[] Count);

/// <summary>
/// TFLite's <c>TFLite_Detection_PostProcess</c> as a pure, backend-independent function on float inputs (the
/// dequantized box encodings and class scores, and the anchors). It follows TFLite's kernel step for step, in the
/// same precisions, so that fed the same tensors it gives the same bits:
/// <list type="bullet">
/// <item>decoding in double, each centre and half size rounded to float32, corners = centre ± half size in float32;</item>
/// <item>fast path: per anchor the best of the non-background classes (the first index on a tie), scores ≥ the
/// threshold kept, stable sort by score descending, greedy NMS where a box whose float32 IoU with a selected box is
/// &gt; the IoU threshold is suppressed and suppressed boxes suppress nothing, up to max_detections boxes, each with its
/// max_classes_per_detection best classes;</item>
/// <item>regular path: the same single-class NMS per class (keeping min(detections_per_class, max_detections)), the
/// running top max_detections merged class by class.</item>
/// </list>
/// Where TFLite sorts with <c>std::partial_sort</c> (more than one class per detection; the regular path's merge),
/// equal scores are ordered here by position (earlier first), a deterministic choice within what TFLite allows.
/// </summary>
internal static class DetectionPostProcess
{
    /// <summary>Dequantizes as TFLite's kernel does: scale · (q − zero point), in float32.</summary>
    public static float[] Dequantize(ReadOnlySpan<byte> q, float scale, long zeroPoint)
    {
        var r = new float[q.Length];
        float zp = zeroPoint;
        for (int i = 0; i < q.Length; i++)
            r[i] = scale * (q[i] - zp);
        return r;
    }

    /// <summary>Decoded corner boxes [A,4] (ymin, xmin, ymax, xmax) from encodings [A, stride] (ty, tx, th, tw first)
    /// and anchors [A,4] (yc, xc, h, w).</summary>
    public static float[] DecodeBoxes(ReadOnlySpan<float> encodings, int stride, ReadOnlySpan<float> anchors, int numAnchors,
        DetectionPostProcessOptions o)
    {
        if (stride < 4)
            throw new ArgumentException($"box encodings have {stride} values per anchor; at least 4 are needed", nameof(stride));
        if (encodings.Length != (long)numAnchors * stride)
            throw new ArgumentException($"{encodings.Length} box encoding values for {numAnchors} anchors of {stride}", nameof(encodings));
        if (anchors.Length != (long)numAnchors * 4)
            throw new ArgumentException($"{anchors.Length} anchor values for {numAnchors} anchors of 4", nameof(anchors));
        var boxes = new float[numAnchors * 4];
        double ys = o.YScale, xs = o.XScale, hs = o.HScale, ws = o.WScale;
        for (int i = 0; i < numAnchors; i++)
        {
            var e = encodings.Slice(i * stride, 4);
            var a = anchors.Slice(i * 4, 4);
            double ya = a[0], xa = a[1], ha = a[2], wa = a[3];
            float yc = (float)(e[0] / ys * ha + ya);
            float xc = (float)(e[1] / xs * wa + xa);
            float hh = (float)(0.5 * Math.Exp(e[2] / hs) * ha);
            float hw = (float)(0.5 * Math.Exp(e[3] / ws) * wa);
            var b = boxes.AsSpan(i * 4, 4);
            b[0] = yc - hh;
            b[1] = xc - hw;
            b[2] = yc + hh;
            b[3] = xc + hw;
        }
        return boxes;
    }

    /// <summary>Runs the operator. <paramref name="boxEncodings"/> [A, stride], <paramref name="scores"/>
    /// [A, columns] with columns ≥ num_classes (the leading columns − num_classes are background),
    /// <paramref name="anchors"/> [A, 4].</summary>
    public static DetectionOutputs Run(DetectionPostProcessOptions o, ReadOnlySpan<float> boxEncodings, int boxStride,
        ReadOnlySpan<float> scores, int scoreColumns, ReadOnlySpan<float> anchors, int numAnchors)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Problem() is { } problem)
            throw new ArgumentException(problem, nameof(o));
        if (numAnchors < 0)
            throw new ArgumentOutOfRangeException(nameof(numAnchors));
        if (scoreColumns < o.NumClasses)
            throw new ArgumentException($"{scoreColumns} score columns for num_classes {o.NumClasses}", nameof(scoreColumns));
        if (scores.Length != (long)numAnchors * scoreColumns)
            throw new ArgumentException($"{scores.Length} scores for {numAnchors} anchors of {scoreColumns}", nameof(scores));
        float[] decoded = DecodeBoxes(boxEncodings, boxStride, anchors, numAnchors, o);
        for (int i = 0; i < numAnchors; i++)
            if (decoded[4 * i] > decoded[4 * i + 2] || decoded[4 * i + 1] > decoded[4 * i + 3])
                throw new ArgumentException($"decoded box {i} has ymin > ymax or xmin > xmax", nameof(boxEncodings));
        int n = o.OutputRows;
        var r = new DetectionOutputs(new float[n * 4], new float[n], new float[n], new float[1]);
        if (o.UseRegularNms)
            Regular(o, decoded, scores, scoreColumns, numAnchors, r);
        else
            Fast(o, decoded, scores, scoreColumns, numAnchors, r);
        return r;
    }

    private static void Fast(DetectionPostProcessOptions o, float[] boxes, ReadOnlySpan<float> scores, int columns, int numAnchors,
        DetectionOutputs r)
    {
        int numClasses = o.NumClasses, labelOffset = columns - numClasses;
        int perAnchor = Math.Min(o.MaxClassesPerDetection, numClasses);
        var maxScores = new float[numAnchors];
        var top = new int[numAnchors * perAnchor];
        var order = new int[numClasses];
        for (int a = 0; a < numAnchors; a++)
        {
            var s = scores.Slice(a * columns + labelOffset, numClasses);
            var t = top.AsSpan(a * perAnchor, perAnchor);
            if (perAnchor == 1)
            {
                int best = 0;
                for (int c = 1; c < numClasses; c++)
                    if (s[c] > s[best])
                        best = c;
                t[0] = best;
            }
            else
            {
                for (int c = 0; c < numClasses; c++)
                    order[c] = c;
                StableSortDescending(order, s);
                order.AsSpan(0, perAnchor).CopyTo(t);
            }
            maxScores[a] = s[t[0]];
        }

        var selected = SingleClassNms(o, boxes, maxScores, o.MaxDetections);
        int row = 0;
        foreach (int a in selected)
        {
            var s = scores.Slice(a * columns + labelOffset, numClasses);
            for (int k = 0; k < perAnchor; k++)
            {
                int offset = o.MaxClassesPerDetection * row + k;
                boxes.AsSpan(a * 4, 4).CopyTo(r.Boxes.AsSpan(offset * 4, 4));
                int c = top[a * perAnchor + k];
                r.Classes[offset] = c;
                r.Scores[offset] = s[c];
            }
            row++;
        }
        r.Count[0] = row;
    }

    private static void Regular(DetectionPostProcessOptions o, float[] boxes, ReadOnlySpan<float> scores, int columns, int numAnchors,
        DetectionOutputs r)
    {
        int numClasses = o.NumClasses, labelOffset = columns - numClasses, maxDet = o.MaxDetections;
        int perClass = Math.Min(o.DetectionsPerClass, maxDet);
        var classScores = new float[numAnchors];
        // The running top list: (anchor, class) and score; at most maxDet survive each merge.
        var candAnchor = new List<int>(maxDet * 2);
        var candClass = new List<int>(maxDet * 2);
        var candScore = new List<float>(maxDet * 2);
        for (int c = 0; c < numClasses; c++)
        {
            for (int a = 0; a < numAnchors; a++)
                classScores[a] = scores[a * columns + c + labelOffset];
            foreach (int a in SingleClassNms(o, boxes, classScores, perClass))
            {
                candAnchor.Add(a);
                candClass.Add(c);
                candScore.Add(classScores[a]);
            }
            var idx = Enumerable.Range(0, candScore.Count).ToArray();
            StableSortDescending(idx, candScore.ToArray());
            int keep = Math.Min(idx.Length, maxDet);
            var na = new List<int>(keep);
            var nc = new List<int>(keep);
            var ns = new List<float>(keep);
            for (int i = 0; i < keep; i++)
            {
                na.Add(candAnchor[idx[i]]);
                nc.Add(candClass[idx[i]]);
                ns.Add(candScore[idx[i]]);
            }
            candAnchor = na;
            candClass = nc;
            candScore = ns;
        }
        for (int i = 0; i < candScore.Count; i++)
        {
            boxes.AsSpan(candAnchor[i] * 4, 4).CopyTo(r.Boxes.AsSpan(i * 4, 4));
            r.Classes[i] = candClass[i];
            r.Scores[i] = candScore[i];
        }
        r.Count[0] = candScore.Count;
    }

    /// <summary>TFLite's single-class NMS: indices (anchors) of the selected boxes, best first.</summary>
    internal static List<int> SingleClassNms(DetectionPostProcessOptions o, float[] boxes, float[] scores, int maxDetections)
    {
        float threshold = o.NmsScoreThreshold, iouThreshold = o.NmsIouThreshold;
        var keep = new List<int>();
        for (int i = 0; i < scores.Length; i++)
            if (scores[i] >= threshold)
                keep.Add(i);
        var keptScores = new float[keep.Count];
        for (int i = 0; i < keptScores.Length; i++)
            keptScores[i] = scores[keep[i]];
        var sorted = Enumerable.Range(0, keep.Count).ToArray();
        StableSortDescending(sorted, keptScores);

        int outputSize = Math.Min(keep.Count, maxDetections);
        var selected = new List<int>(outputSize);
        var active = new bool[keep.Count];
        Array.Fill(active, true);
        int numActive = keep.Count;
        for (int i = 0; i < keep.Count; i++)
        {
            if (numActive == 0 || selected.Count >= outputSize)
                break;
            if (!active[i])
                continue;
            int bi = keep[sorted[i]];
            selected.Add(bi);
            active[i] = false;
            numActive--;
            for (int j = i + 1; j < keep.Count; j++)
                if (active[j] && Iou(boxes, bi, keep[sorted[j]]) > iouThreshold)
                {
                    active[j] = false;
                    numActive--;
                }
        }
        return selected;
    }

    /// <summary>Intersection over union in float32, 0 when either box has no area (TFLite's rule).</summary>
    internal static float Iou(float[] b, int i, int j)
    {
        float iy0 = b[4 * i], ix0 = b[4 * i + 1], iy1 = b[4 * i + 2], ix1 = b[4 * i + 3];
        float jy0 = b[4 * j], jx0 = b[4 * j + 1], jy1 = b[4 * j + 2], jx1 = b[4 * j + 3];
        float areaI = (iy1 - iy0) * (ix1 - ix0);
        float areaJ = (jy1 - jy0) * (jx1 - jx0);
        if (areaI <= 0 || areaJ <= 0)
            return 0f;
        float y0 = Math.Max(iy0, jy0), x0 = Math.Max(ix0, jx0);
        float y1 = Math.Min(iy1, jy1), x1 = Math.Min(ix1, jx1);
        float inter = Math.Max(y1 - y0, 0f) * Math.Max(x1 - x0, 0f);
        return inter / (areaI + areaJ - inter);
    }

    /// <summary>Sorts <paramref name="indices"/> by <paramref name="values"/>[index] descending; equal values keep their
    /// order (a stable sort, as TFLite's <c>std::stable_sort</c> in DecreasingArgSort).</summary>
    private static void StableSortDescending(int[] indices, ReadOnlySpan<float> values)
    {
        var keys = new float[indices.Length];
        for (int i = 0; i < keys.Length; i++)
            keys[i] = values[indices[i]];
        var pos = new int[indices.Length];
        for (int i = 0; i < pos.Length; i++)
            pos[i] = i;
        // Array.Sort is unstable; ordering by (value desc, original position asc) makes it stable.
        Array.Sort(pos, (p, q) =>
        {
            int c = keys[q].CompareTo(keys[p]);
            return c != 0 ? c : p.CompareTo(q);
        });
        var copy = (int[])indices.Clone();
        for (int i = 0; i < pos.Length; i++)
            indices[i] = copy[pos[i]];
    }
}
