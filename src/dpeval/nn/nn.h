// dpeval::nn: layers, losses and the sequential Model built from a ModelSpec.
#pragma once

#include "dpeval/nn/activation.h"
#include "dpeval/nn/conv2d.h"
#include "dpeval/nn/dropout.h"
#include "dpeval/nn/flatten.h"
#include "dpeval/nn/layer.h"
#include "dpeval/nn/layer_norm.h"
#include "dpeval/nn/linear.h"
#include "dpeval/nn/loss.h"
#include "dpeval/nn/model.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/nn/pool.h"
