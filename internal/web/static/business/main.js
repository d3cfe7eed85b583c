// The Parley Business console (placeholder until it is built).
document.getElementById('root').dataset.ready = 'true';
