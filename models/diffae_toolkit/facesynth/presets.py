"""Architecture presets for the FaceSynth64 default model (small members of the official family)."""
from ..config import AutoencConfig, LatentConfig

PRESETS = {
    # 64 px, base width 16, levels 64-32-16-8, attention at 8 px and in the middle, z width 256.
    # The scratch model measured before this issue was filed: ~1.85 M parameters, ~0.5 GMAC per UNet call.
    'small': dict(net_ch=16, ch_mult=(1, 2, 4, 4), enc_channel_mult=(1, 2, 4, 4), attn_resolutions=(8,),
                  num_res_blocks=1, enc_num_res_blocks=1, embed_channels=128, z_dim=256),
    # 'small' with 64 channels at every UNet level. GroupNorm takes min(32, channels) groups, as in the
    # official nets, so below 64 channels the output block's norm has one channel per group: it removes each
    # channel's per-image mean and the decoder cannot follow the mean colour of x_t (measured in
    # docs/models/facesynth64-training.md). ~5x the UNet compute of 'small'.
    'small_top64': dict(net_ch=16, ch_mult=(4, 4, 4, 4), enc_channel_mult=(1, 2, 4, 4), attn_resolutions=(8,),
                        num_res_blocks=1, enc_num_res_blocks=1, embed_channels=128, z_dim=256),
    # Twice the width: ~4x the compute per sample.
    'medium': dict(net_ch=32, ch_mult=(1, 2, 3, 4), enc_channel_mult=(1, 2, 3, 4), attn_resolutions=(8,),
                   num_res_blocks=1, enc_num_res_blocks=1, embed_channels=256, z_dim=256),
}


def facesynth_config(preset='small', latent_layers=6, latent_hidden=1024):
    arch = PRESETS[preset]
    return AutoencConfig(
        name=f'facesynth64_{preset}', img_size=64, dropout=0.0,
        latent=LatentConfig(num_layers=latent_layers, hidden=latent_hidden, z_dim=arch['z_dim']),
        **arch,
    )


def preset_of(config_name):
    """'facesynth64_small' -> 'small' (the config names written by facesynth_config)."""
    preset = config_name[len('facesynth64_'):] if config_name.startswith('facesynth64_') else None
    if preset not in PRESETS:
        raise ValueError(f'{config_name!r} is not a FaceSynth64 preset config; known: '
                         f'{sorted("facesynth64_" + p for p in PRESETS)}')
    return preset
