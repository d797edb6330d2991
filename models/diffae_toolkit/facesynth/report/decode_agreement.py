"""§3a: do random-x_T decodes keep the input's attributes? Judged by the pixel classifier on both images
(and, for reference, against the true labels of the input)."""
from .attributes import agreement
from .pixel_classifier import read_images

KEY_UNITS = ('Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Hair_Colour')


def run(judge_model, schema, inputs01, decodes01, labels, device):
    input_read = read_images(judge_model, schema, inputs01, device)
    decode_read = read_images(judge_model, schema, decodes01, device)
    label_read = schema.read(labels)
    return {'images': int(len(labels)),
            'vs_input_judged': agreement(decode_read, input_read),
            'vs_input_labels': agreement(decode_read, label_read),
            'judge_on_inputs_vs_labels': agreement(input_read, label_read),
            'key_units': [u for u in KEY_UNITS if u in decode_read]}
