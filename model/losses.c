/* losses: mean squared error, Huber, binary cross-entropy with logits */
#include <math.h>

#include "model/nn.h"

float nn_sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

double nn_loss_mse(int n, const float* pred, const float* target, const float* weight, float scale,
                   float* grad) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float w = weight ? weight[i] : 1.0f;
        float e = pred[i] - target[i];
        sum += (double)w * e * e;
        if (grad) grad[i] = scale * w * 2.0f * e;
    }
    return sum * scale;
}

double nn_loss_huber(int n, const float* pred, const float* target, const float* weight,
                     float delta, float scale, float* grad) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float w = weight ? weight[i] : 1.0f;
        float e = pred[i] - target[i];
        float a = fabsf(e);
        if (a <= delta) {
            sum += (double)w * 0.5 * e * e;
            if (grad) grad[i] = scale * w * e;
        } else {
            sum += (double)w * delta * (a - 0.5 * delta);
            if (grad) grad[i] = scale * w * (e > 0 ? delta : -delta);
        }
    }
    return sum * scale;
}

double nn_loss_bce_logits(int n, const float* logits, const float* target, const float* weight,
                          float scale, float* grad) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float w = weight ? weight[i] : 1.0f;
        float z = logits[i], y = target[i];
        /* max(z,0) - z*y + log(1 + exp(-|z|)), stable for large |z| */
        double l = (z > 0 ? z : 0) - (double)z * y + log1p(exp(-fabs((double)z)));
        sum += w * l;
        if (grad) grad[i] = scale * w * (nn_sigmoid(z) - y);
    }
    return sum * scale;
}

double nn_loss_l1(int n, const float* pred, const float* target, const float* weight, float scale,
                  float* grad) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float w = weight ? weight[i] : 1.0f;
        float e = pred[i] - target[i];
        sum += (double)w * fabsf(e);
        /* the subgradient 0 at e = 0 */
        if (grad) grad[i] = e > 0 ? scale * w : e < 0 ? -scale * w : 0.0f;
    }
    return sum * scale;
}
