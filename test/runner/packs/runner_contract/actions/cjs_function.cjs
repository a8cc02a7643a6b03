// module.exports is the function itself.
module.exports = (params, context) => ({ upper: params.word.toUpperCase(), pack: context.pack, action: context.action });
