using Vince.FeatureStore.Onnx.Metadata;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// Platt scaling of a model probability (<c>improvement_report.signal_quality_calibration</c>):
/// <c>p' = 1 / (1 + exp(−(Scale · p + Intercept)))</c>.
/// </summary>
/// <param name="Scale">The slope applied to the model's probability.</param>
/// <param name="Intercept">The offset.</param>
public sealed record PlattCalibration(double Scale, double Intercept)
{
    /// <summary>The calibrated probability of <paramref name="probability"/>.</summary>
    /// <param name="probability">The model's probability.</param>
    /// <returns>The calibrated probability.</returns>
    public double Apply(double probability) => Logistic.Of((Scale * probability) + Intercept);

    internal static PlattCalibration? Read(JsonSection calibration)
    {
        double? scale = calibration.Number("scale");
        double? intercept = calibration.Number("intercept");
        if (scale is { } s && intercept is { } i && double.IsFinite(s) && double.IsFinite(i))
        {
            return new PlattCalibration(s, i);
        }

        calibration.Warnings.Add($"'{calibration.Path}' is not {{scale, intercept}} with finite numbers; no calibration is applied.");
        return null;
    }
}

/// <summary>The logistic function.</summary>
internal static class Logistic
{
    public static double Of(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
