/** The ten Fashion-MNIST classes, in label order (0-9). */
export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** The same names as the Chinese d2l book gives them. */
export const CLASS_NAMES_ZH = [
  'T恤/上衣',
  '裤子',
  '套衫',
  '连衣裙',
  '外套',
  '凉鞋',
  '衬衫',
  '运动鞋',
  '包',
  '短靴',
] as const;
