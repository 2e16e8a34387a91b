/**
 * What NiN saves by not having fully connected layers: the cost of the classic head it
 * replaces, computed from the same shape inference as the network itself.
 *
 * The assumed alternative (stated in the UI): keep NiN's trunk up to the last nin_block, flatten
 * the features that block would receive (384x5x5 = 9,600 in the article's network), and classify
 * them with an AlexNet-style head Linear(features, 4096) -> ReLU -> Dropout -> Linear(4096, 4096)
 * -> ReLU -> Dropout -> Linear(4096, classes), instead of the last nin_block + global average
 * pooling. test/reference/fc_head.py measures the same networks in PyTorch.
 */
import type { ShapeReport } from './shapes';

/** The hidden widths of the assumed head (AlexNet's 4096-4096). */
export const ALEXNET_HIDDEN = [4096, 4096] as const;

/** One Linear layer of the head. */
export interface LinearCost {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** weights + biases */
  readonly params: number;
  /** 2 x multiply-accumulates, one image, forward. */
  readonly flops: number;
}

/** The comparison between NiN's classifier and the FC head that would replace it. */
export interface FcHeadComparison {
  /** Index (in the shape report) of the layer the head replaces from: the last nin_block. */
  readonly fromLayer: number;
  /** Name of that layer (e.g. nin_block_4). */
  readonly fromName: string;
  /** The flattened tensor the head would read (C x H x W of the last block's input). */
  readonly featureShape: readonly number[];
  readonly features: number;
  readonly linears: readonly LinearCost[];
  /** Parameters of the FC head alone. */
  readonly headParams: number;
  readonly headFlops: number;
  /** Parameters of what NiN uses instead (last nin_block + GAP + flatten). */
  readonly ninHeadParams: number;
  readonly ninHeadFlops: number;
  /** Whole network: NiN as specified. */
  readonly ninTotalParams: number;
  /** Whole network with the FC head instead of NiN's classifier. */
  readonly fcTotalParams: number;
  /** fcTotalParams / ninTotalParams */
  readonly ratio: number;
}

/**
 * Cost an FC head on the features entering the last nin_block. Returns undefined when the
 * report has no nin_block (or collapsed before one), or its head is not NiN's (a network with
 * fully connected layers after its last block), since there is nothing to compare.
 */
export function fcHeadComparison(
  report: ShapeReport,
  hidden: readonly number[] = ALEXNET_HIDDEN,
): FcHeadComparison | undefined {
  const layers = report.layers;
  let from = -1;
  for (let i = layers.length - 1; i >= 0; i--) {
    if (layers[i].kind === 'nin_block') {
      from = i;
      break;
    }
  }
  // Only a NiN head (last block, then pooling and flatten, no parameters after it) is replaced.
  if (from < 0 || layers.slice(from + 1).some((l) => l.params > 0)) return undefined;
  const featureShape = layers[from].input;
  const features = featureShape.reduce((a, b) => a * b, 1);
  const widths = [features, ...hidden, report.spec.classes];
  const linears: LinearCost[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [inF, outF] = [widths[i], widths[i + 1]];
    linears.push({ inFeatures: inF, outFeatures: outF, params: inF * outF + outF, flops: 2 * inF * outF });
  }
  const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
  const tail = layers.slice(from);
  const ninHeadParams = sum(tail, (l) => l.params);
  const headParams = sum(linears, (l) => l.params);
  const fcTotalParams = report.params - ninHeadParams + headParams;
  return {
    fromLayer: from,
    fromName: layers[from].name,
    featureShape,
    features,
    linears,
    headParams,
    headFlops: sum(linears, (l) => l.flops),
    ninHeadParams,
    ninHeadFlops: sum(tail, (l) => l.flops),
    ninTotalParams: report.params,
    fcTotalParams,
    ratio: report.params ? fcTotalParams / report.params : 0,
  };
}
