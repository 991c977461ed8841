// The data module: datasets, their readers (IDX, NPY, CSV), splits, the
// distributed sampler and --data source resolution.
#pragma once

#include "dpeval/data/class_check.h"
#include "dpeval/data/csv.h"
#include "dpeval/data/dataset.h"
#include "dpeval/data/idx.h"
#include "dpeval/data/model_inputs.h"
#include "dpeval/data/npy.h"
#include "dpeval/data/sampler.h"
#include "dpeval/data/source.h"
#include "dpeval/data/split.h"
