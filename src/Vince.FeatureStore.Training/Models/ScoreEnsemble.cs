namespace Vince.FeatureStore.Training.Models;

/// <summary>
/// One regression tree as ML.NET's FastTree stores it: internal nodes <c>0..N−1</c>; a child index ≥ 0 is an
/// internal node, a negative one is the leaf <c>~child</c>; a row goes left when <c>x[feature] ≤ threshold</c>.
/// A tree without internal nodes contributes 0 (ML.NET's rule for an empty tree).
/// </summary>
/// <param name="Left">Child taken when the feature is ≤ the threshold.</param>
/// <param name="Right">Child taken otherwise.</param>
/// <param name="Feature">Input column tested by each internal node.</param>
/// <param name="Threshold">Threshold of each internal node.</param>
/// <param name="Leaves">Output of each leaf.</param>
internal sealed record ExportTree(int[] Left, int[] Right, int[] Feature, float[] Threshold, double[] Leaves)
{
    /// <summary>Number of internal nodes.</summary>
    public int NodeCount => Left.Length;

    /// <summary>The leaf a row falls into, or -1 for an empty tree.</summary>
    public int LeafOf(ReadOnlySpan<float> row)
    {
        if (NodeCount == 0)
        {
            return -1;
        }

        int node = 0;
        while (node >= 0)
        {
            node = row[Feature[node]] <= Threshold[node] ? Left[node] : Right[node];
        }

        return ~node;
    }

    /// <summary>The tree's output for a row.</summary>
    public double Evaluate(ReadOnlySpan<float> row) => LeafOf(row) is var leaf and >= 0 ? Leaves[leaf] : 0;
}

/// <summary>
/// A sum of trees in the space the ONNX node works in: <c>score = Base + LeafScale · Σ leaf(tree)</c>. For a binary
/// classifier the score is a logit (ML.NET's fixed Platt map folded in), for a regressor the prediction.
/// </summary>
/// <param name="Trees">The trees, in ML.NET's order.</param>
/// <param name="LeafScale">Multiplier of every leaf value.</param>
/// <param name="Base">Constant added to the sum.</param>
internal sealed record ScoreEnsemble(IReadOnlyList<ExportTree> Trees, double LeafScale, double Base)
{
    /// <summary>Evaluates the ensemble in double precision (as ML.NET does before its float conversion).</summary>
    public double Evaluate(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (ExportTree tree in Trees)
        {
            sum += tree.Evaluate(row);
        }

        return Base + (LeafScale * sum);
    }

    /// <summary>Total number of internal nodes.</summary>
    public int NodeCount => Trees.Sum(t => t.NodeCount);
}
